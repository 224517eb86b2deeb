from __future__ import annotations

from django.urls import path

from tokens import views

urlpatterns = [
    path(
        "receiver/tokens/<str:country_code>/<str:party_id>/<str:token_uid>",
        views.TokenReceiverApi.as_view(),
        name="tokens-receiver",
    ),
    path("sender/tokens", views.TokenSenderListApi.as_view(), name="tokens-sender"),
    path(
        "sender/tokens/<str:token_uid>/authorize",
        views.TokenAuthorizeApi.as_view(),
        name="tokens-authorize",
    ),
]
