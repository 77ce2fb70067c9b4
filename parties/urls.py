from django.urls import path

from . import views

app_name = "parties"

urlpatterns = [
    path("<str:reference>/party-matches/<int:match_id>/", views.potential_match, name="potential-match"),
]
