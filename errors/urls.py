from __future__ import annotations

from django.urls import path

from errors import views

urlpatterns = [
    path(
        "receiver/chargex-errors/<str:country_code>/<str:party_id>/<str:record_id>",
        views.ErrorRecordReceiverApi.as_view(),
        name="chargex-errors-receiver",
    ),
    path("sender/chargex-errors", views.ErrorRecordSenderListApi.as_view(), name="chargex-errors-sender"),
]
