from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="new"),
    path("<str:reference>/", views.case_detail, name="detail"),
    path("<str:reference>/edit/", views.case_edit, name="edit"),
    path("<str:reference>/items/<int:line>/composition/", views.item_composition, name="composition"),
    path("<str:reference>/parties/<int:line>/owners/", views.party_owners, name="owners"),
    path("<str:reference>/documents/new/", views.document_upload, name="upload"),
    path("<str:reference>/documents/<int:document_id>/", views.document_download, name="download"),
    path("<str:reference>/documents/<int:document_id>/remove/", views.document_remove, name="document-remove"),
    path("<str:reference>/submit/", views.case_submit_view, name="submit"),
    path("<str:reference>/withdraw/", views.case_withdraw_view, name="withdraw"),
    path("<str:reference>/copy/", views.case_copy_view, name="copy"),
]
