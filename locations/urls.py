from __future__ import annotations

from django.urls import path

from locations import views

RECEIVER = "receiver/locations/<str:country_code>/<str:party_id>/<str:location_id>"
SENDER = "sender/locations/<str:location_id>"

urlpatterns = [
    path(RECEIVER, views.LocationReceiverApi.as_view(), name="locations-receiver"),
    path(f"{RECEIVER}/<str:evse_uid>", views.LocationReceiverApi.as_view(), name="locations-receiver-evse"),
    path(
        f"{RECEIVER}/<str:evse_uid>/<str:connector_id>",
        views.LocationReceiverApi.as_view(),
        name="locations-receiver-connector",
    ),
    path("sender/locations", views.LocationSenderListApi.as_view(), name="locations-sender"),
    path(SENDER, views.LocationSenderObjectApi.as_view(), name="locations-sender-object"),
    path(f"{SENDER}/<str:evse_uid>", views.LocationSenderObjectApi.as_view(), name="locations-sender-evse"),
    path(
        f"{SENDER}/<str:evse_uid>/<str:connector_id>",
        views.LocationSenderObjectApi.as_view(),
        name="locations-sender-connector",
    ),
]
