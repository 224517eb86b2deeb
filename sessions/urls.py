from __future__ import annotations

from django.urls import path

from sessions import views

urlpatterns = [
    path(
        "receiver/sessions/<str:country_code>/<str:party_id>/<str:session_id>",
        views.SessionReceiverApi.as_view(),
        name="sessions-receiver",
    ),
    path("sender/sessions", views.SessionSenderListApi.as_view(), name="sessions-sender"),
    path(
        "sender/sessions/<str:session_id>/charging_preferences",
        views.ChargingPreferencesApi.as_view(),
        name="sessions-charging-preferences",
    ),
]
