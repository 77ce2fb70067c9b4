from django.urls import path

from . import api

urlpatterns = [
    path("cases/<str:reference>/claim", api.CaseClaimApi.as_view(), name="api-case-claim"),
    path("cases/<str:reference>/release", api.CaseReleaseApi.as_view(), name="api-case-release"),
    path("cases/<str:reference>/recommend", api.CaseRecommendApi.as_view(), name="api-case-recommend"),
    path("cases/<str:reference>/countersign", api.CaseCountersignApi.as_view(), name="api-case-countersign"),
    path("cases/<str:reference>/notes", api.CaseNotesApi.as_view(), name="api-case-notes"),
    path("cases/<str:reference>/decision", api.CaseDecisionApi.as_view(), name="api-case-decision"),
]
