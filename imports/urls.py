from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("lists/new/", views.list_new, name="list-new"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/progress/", views.job_progress, name="job-progress"),
]
