from __future__ import annotations

from django.urls import path

from parties import views

urlpatterns = [
    path("credentials", views.CredentialsApi.as_view(), name="credentials"),
    path("sender/hubclientinfo", views.HubClientInfoListApi.as_view(), name="hubclientinfo-sender"),
]
