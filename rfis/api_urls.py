from django.urls import path

from . import api

urlpatterns = [
    path(
        "cases/<str:reference>/information-requests",
        api.CaseInformationRequestsApi.as_view(),
        name="api-case-information-requests",
    ),
    path("information-requests/<int:pk>", api.InformationRequestApi.as_view(), name="api-information-request"),
    path(
        "information-requests/<int:pk>/answer",
        api.InformationRequestAnswerApi.as_view(),
        name="api-information-request-answer",
    ),
    path(
        "information-requests/<int:pk>/cancel",
        api.InformationRequestCancelApi.as_view(),
        name="api-information-request-cancel",
    ),
]
