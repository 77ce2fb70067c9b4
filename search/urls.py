from django.urls import path

from . import views

app_name = "search"

urlpatterns = [
    path("saved/", views.saved_list, name="saved"),
    path("saved/new/", views.saved_create, name="saved-create"),
    path("saved/<int:pk>/", views.saved_open, name="saved-open"),
    path("saved/<int:pk>/delete/", views.saved_delete, name="saved-delete"),
    path("cases.csv", views.case_export, name="export"),
]
