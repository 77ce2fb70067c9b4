from django.urls import path

from . import api

urlpatterns = [
    path("auth/token", api.ObtainTokenApi.as_view(), name="api-auth-token"),
]
