from django.urls import path

from . import views

app_name = "permits"

urlpatterns = [
    path("<str:number>/", views.permit_verify_view, name="verify"),
]
