from __future__ import annotations

from django.urls import path

from tariffs import views

urlpatterns = [
    path(
        "receiver/tariffs/<str:country_code>/<str:party_id>/<str:tariff_id>",
        views.TariffReceiverApi.as_view(),
        name="tariffs-receiver",
    ),
    path("sender/tariffs", views.TariffSenderListApi.as_view(), name="tariffs-sender"),
]
