from django.urls import path

from . import views

app_name = "rfis"

urlpatterns = [
    path("<str:reference>/information-requests/new/", views.request_new, name="new"),
    path("<str:reference>/information-requests/<int:pk>/", views.request_detail, name="detail"),
    path("<str:reference>/information-requests/<int:pk>/cancel/", views.request_cancel, name="cancel"),
]
