from django.urls import path

from . import views

app_name = "rechecks"

urlpatterns = [
    path("", views.run_list, name="runs"),
    path("new/", views.run_new, name="run-new"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("findings/", views.finding_list, name="findings"),
    path("findings/<int:pk>/", views.finding_detail, name="finding"),
    path("findings/<int:pk>/triage/", views.finding_triage_view, name="finding-triage"),
]
