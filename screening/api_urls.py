from django.urls import path

from .api import ScreeningView

urlpatterns = [
    path("screenings", ScreeningView.as_view(), name="api-screenings"),
]
