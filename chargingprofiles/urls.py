from __future__ import annotations

from django.urls import path

from chargingprofiles import views

urlpatterns = [
    path(
        "receiver/chargingprofiles/<str:session_id>",
        views.ChargingProfileReceiverApi.as_view(),
        name="chargingprofiles-receiver",
    ),
    path(
        "sender/chargingprofiles/<str:session_id>",
        views.ActiveChargingProfileApi.as_view(),
        name="chargingprofiles-sender",
    ),
    path(
        "sender/chargingprofiles/<str:session_id>/<str:key>",
        views.ChargingProfileResultApi.as_view(),
        name="chargingprofiles-result",
    ),
]
