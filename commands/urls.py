from __future__ import annotations

from django.urls import path

from commands import views

urlpatterns = [
    path("receiver/commands/<str:command>", views.CommandReceiverApi.as_view(), name="commands-receiver"),
    path("sender/commands/<str:command>/<str:key>", views.CommandResultApi.as_view(), name="commands-result"),
]
