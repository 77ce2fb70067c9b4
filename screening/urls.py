from django.urls import path

from . import views

app_name = "rules"

# Row keys of control entries and licence types hold a slash ("CN/1C902.a"), hence the path converter; a key is
# always followed by an action, so it never swallows another route.
urlpatterns = [
    path("", views.version_list, name="list"),
    path("new/", views.draft_new, name="new-draft"),
    path("import/", views.pack_import, name="import"),
    path("<str:label>/", views.version_detail, name="detail"),
    path("<str:label>/validate/", views.version_validate, name="validate"),
    path("<str:label>/publish/", views.version_publish, name="publish"),
    path("<str:label>/export/", views.version_export, name="export"),
    path("<str:label>/diff/", views.version_diff, name="diff"),
    path("<str:label>/dry-run/", views.version_dry_run, name="dry-run"),
    path("<str:label>/<str:section>/new/", views.row_new, name="row-new"),
    path("<str:label>/<str:section>/<path:key>/edit/", views.row_edit, name="row-edit"),
    path("<str:label>/<str:section>/<path:key>/delete/", views.row_delete, name="row-delete"),
]
