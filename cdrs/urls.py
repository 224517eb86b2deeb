from __future__ import annotations

from django.urls import path

from cdrs import views

urlpatterns = [
    path("receiver/cdrs", views.CdrReceiverApi.as_view(), name="cdrs-receiver"),
    path(
        "receiver/cdrs/<str:country_code>/<str:party_id>/<str:cdr_id>",
        views.CdrReceiverDetailApi.as_view(),
        name="cdrs-receiver-detail",
    ),
    path("sender/cdrs", views.CdrSenderListApi.as_view(), name="cdrs-sender"),
]
