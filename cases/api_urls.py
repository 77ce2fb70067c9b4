from django.urls import path

from . import api

urlpatterns = [
    path("cases", api.CaseListApi.as_view(), name="api-case-list"),
    path("cases/<str:reference>", api.CaseDetailApi.as_view(), name="api-case-detail"),
    path("cases/<str:reference>/documents", api.CaseDocumentsApi.as_view(), name="api-case-documents"),
    path(
        "cases/<str:reference>/documents/<int:document_id>",
        api.CaseDocumentDownloadApi.as_view(),
        name="api-case-document-download",
    ),
    path("cases/<str:reference>/validate", api.CaseValidateApi.as_view(), name="api-case-validate"),
    path("cases/<str:reference>/submit", api.CaseSubmitApi.as_view(), name="api-case-submit"),
    path("cases/<str:reference>/withdraw", api.CaseWithdrawApi.as_view(), name="api-case-withdraw"),
    path("cases/<str:reference>/copy", api.CaseCopyApi.as_view(), name="api-case-copy"),
    path("cases/<str:reference>/document", api.CaseDocumentJsonApi.as_view(), name="api-case-casedoc"),
]
