"""The case API under /api/v1/cases.

Thin views: cases are read through the selectors (which answer 404 to outsiders), written through the services,
and the services' refusals become HTTP answers here: an incomplete case or a rejected upload is a 400 keyed by
path, a case in the wrong state or changed meanwhile is a 409, a reader trying to write is a 403.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import StrictJSONParser

from .casedoc import case_document
from .completeness import case_check_completeness
from .models import Case
from .selectors import case_get_for_user, case_list_for_user, case_reread_for_user
from .serializers import (
    CaseActionSerializer,
    CaseFilterSerializer,
    CaseSerializer,
    CaseSummarySerializer,
    CompletenessSerializer,
    DocumentSerializer,
    DocumentUploadSerializer,
    WithdrawSerializer,
)
from .services import (
    CaseIncomplete,
    CaseNotEditable,
    case_add_document,
    case_copy,
    case_create,
    case_save_draft,
    case_submit,
    case_withdraw,
)
from .uploads import UploadRejected
from .vocab import CaseStatus
from .workflow import CaseChanged, TransitionNotAllowed


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The case cannot do that in its current state."
    default_code = "conflict"


# Model fields the services validate, as the API names them, for the rare error only the model catches.
API_PATHS = {
    "end_use_categories": "end_use.categories",
    "end_use_description": "end_use.description",
    "authority_notified": "end_use.authority_notified",
}

ERRORS = inline_serializer(
    "ValidationErrors",
    {"errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))},
)
DETAIL = inline_serializer("Detail", {"detail": serializers.CharField()})
BAD_REQUEST = OpenApiResponse(ERRORS, description='Bad input: messages keyed by path, e.g. "items[0].value.amount".')
NOT_FOUND = OpenApiResponse(DETAIL, description="No such case, or not one you may see.")
FORBIDDEN = OpenApiResponse(DETAIL, description="You may read this case but not change it.")
CONFLICT = OpenApiResponse(DETAIL, description="The case is not a draft, or it changed since the version you sent.")


def api_exception(exc: Exception) -> Exception:
    """The HTTP answer to a service's refusal; other exceptions pass through unchanged."""
    if isinstance(exc, CaseIncomplete):
        errors: dict[str, list[str]] = {}
        for problem in exc.problems:
            errors.setdefault(problem.path, []).append(problem.message)
        return exceptions.ValidationError(errors)
    if isinstance(exc, UploadRejected):
        return exceptions.ValidationError({"file": [str(exc)]})
    if isinstance(exc, CaseChanged):
        return Conflict(str(exc), code="stale_version")
    if isinstance(exc, CaseNotEditable | TransitionNotAllowed):
        return Conflict(str(exc), code="not_allowed_in_status")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError({API_PATHS.get(k, k): v for k, v in exc.message_dict.items()})
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


class CaseApiMixin:
    parser_classes = [StrictJSONParser]
    request: Request

    def get_serializer_context(self) -> dict[str, Any]:
        return {"request": self.request, "view": self}

    def handle_exception(self, exc: Exception) -> Response:
        return super().handle_exception(api_exception(exc))

    def get_case(self, reference: str, *, facts: bool = True) -> Case:
        return case_get_for_user(user=self.request.user, reference=reference, facts=facts)

    def case_response(
        self, case: Case, status_code: int = status.HTTP_200_OK, *, serializer: CaseSerializer | None = None
    ) -> Response:
        if serializer is None:
            serializer = CaseSerializer(case, context=self.get_serializer_context())
        else:
            # The serializer that validated the request answers it too, as DRF's own create and update views do:
            # its fields are built already, and building them is a good part of a serializer's cost.
            serializer.instance = case
        data = serializer.data
        headers = None
        if status_code == status.HTTP_201_CREATED:
            url = reverse("api-case-detail", kwargs={"reference": case.reference})
            headers = {"Location": self.request.build_absolute_uri(url)}
        return Response(data, status=status_code, headers=headers)

    def validated(self, serializer_class: type[serializers.Serializer], **kwargs: Any) -> serializers.Serializer:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context(), **kwargs)
        serializer.is_valid(raise_exception=True)
        return serializer

    @staticmethod
    def check_version(case: Case, expected: int | None) -> None:
        # The transitions themselves write only if the case still has the version read here.
        if expected is not None and expected != case.version:
            raise CaseChanged("The case was changed by someone else since you read it. Reload it and try again.")


class CaseApiView(CaseApiMixin, APIView):
    pass


class CaseListApi(CaseApiMixin, GenericAPIView):
    # A generic view for its paginator; the cases themselves come from the selector, not from a queryset here.
    serializer_class = CaseSerializer
    # Filtering is the selector's job; the global django-filter backend has nothing to do here.
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[Case]:
        filters = CaseFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return case_list_for_user(
            user=self.request.user,
            status=filters.validated_data.get("status"),
            destination=filters.validated_data.get("destination"),
            query=filters.validated_data.get("q"),
        ).select_related("copied_from")

    @extend_schema(
        summary="List the cases you may see",
        parameters=[CaseFilterSerializer],
        responses={200: CaseSummarySerializer(many=True), 400: BAD_REQUEST},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CaseSummarySerializer(page, many=True).data)

    @extend_schema(
        summary="Create a draft case",
        request=CaseSerializer,
        responses={201: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN},
    )
    def post(self, request: Request) -> Response:
        serializer = self.validated(CaseSerializer)
        case = case_create(
            organisation=request.user.organisation, filed_by=request.user, data=serializer.service_data(replace=False)
        )
        return self.case_response(case, status.HTTP_201_CREATED, serializer=serializer)


class CaseDetailApi(CaseApiView):
    @extend_schema(summary="Read a case", responses={200: CaseSerializer, 404: NOT_FOUND})
    def get(self, request: Request, reference: str) -> Response:
        return self.case_response(self.get_case(reference))

    @extend_schema(
        summary="Replace a draft",
        description="Every fact left out goes back to its default: no items, no parties, an empty end use.",
        request=CaseSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def put(self, request: Request, reference: str) -> Response:
        return self._save(reference, replace=True)

    @extend_schema(
        summary="Change part of a draft",
        description="Only the fields sent change. Items or parties, when sent, replace the whole list.",
        request=CaseSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def patch(self, request: Request, reference: str) -> Response:
        return self._save(reference, replace=False)

    def _save(self, reference: str, *, replace: bool) -> Response:
        case = self.get_case(reference)
        serializer = self.validated(CaseSerializer)
        case = case_save_draft(
            case=case,
            actor=self.request.user,
            data=serializer.service_data(replace=replace),
            expected_version=serializer.expected_version,
        )
        return self.case_response(case, serializer=serializer)


class CaseDocumentsApi(CaseApiView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(summary="List a case's documents", responses={200: DocumentSerializer(many=True), 404: NOT_FOUND})
    def get(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference)
        return Response(DocumentSerializer(case.documents.all(), many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload a document to a draft",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={201: DocumentSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)
        upload = self.validated(DocumentUploadSerializer).validated_data
        document = case_add_document(case=case, actor=request.user, doc_type=upload["doc_type"], upload=upload["file"])
        return Response(
            DocumentSerializer(document, context=self.get_serializer_context()).data, status=status.HTTP_201_CREATED
        )


class IgnoreClientContentNegotiation(BaseContentNegotiation):
    """A download is the file as stored, whatever the client says it accepts; errors are JSON."""

    def select_parser(self, request: Request, parsers: list) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list, format_suffix: str | None = None) -> tuple:
        return renderers[0], renderers[0].media_type


class CaseDocumentDownloadApi(CaseApiView):
    content_negotiation_class = IgnoreClientContentNegotiation

    @extend_schema(
        summary="Download a document",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, as an attachment, with the content type it was sniffed as."
            ),
            404: NOT_FOUND,
        },
    )
    def get(self, request: Request, reference: str, document_id: int) -> FileResponse:
        case = self.get_case(reference, facts=False)
        document = get_object_or_404(case.documents.all(), pk=document_id)
        response = FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.original_name,
            content_type=document.content_type,
        )
        # The type is the one sniffed from the bytes at upload; the browser must not guess another.
        response["X-Content-Type-Options"] = "nosniff"
        return response


class CaseValidateApi(CaseApiView):
    @extend_schema(
        summary="Check whether a case is complete enough to submit",
        request=None,
        responses={200: CompletenessSerializer, 404: NOT_FOUND},
    )
    def post(self, request: Request, reference: str) -> Response:
        problems = case_check_completeness(self.get_case(reference))
        data = {"complete": not problems, "problems": [p.as_dict() for p in problems]}
        return Response(CompletenessSerializer(data).data)


class CaseSubmitApi(CaseApiView):
    @extend_schema(
        summary="Submit a complete draft",
        description="An incomplete case answers 400 with every problem keyed by its path, and stays a draft.",
        request=CaseActionSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)
        action = self.validated(CaseActionSerializer)
        self.check_version(case, action.validated_data.get("version"))
        submitted = case_submit(case=case, actor=request.user)
        if submitted.status == CaseStatus.SUBMITTED:
            # Not screened in-process (which leaves the case its header): read again for the status a worker's
            # screening may have moved it to; its facts are those submit just loaded.
            submitted = case_reread_for_user(user=request.user, case=submitted)
        return self.case_response(submitted)


class CaseWithdrawApi(CaseApiView):
    @extend_schema(
        summary="Withdraw a draft or a submitted case",
        request=WithdrawSerializer,
        responses={200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)
        action = self.validated(WithdrawSerializer)
        self.check_version(case, action.validated_data.get("version"))
        case_withdraw(case=case, actor=request.user, reason=action.validated_data.get("reason", ""))
        return self.case_response(self.get_case(reference))


class CaseCopyApi(CaseApiView):
    @extend_schema(
        summary="Copy a case into a new draft",
        description="Header, items and parties are copied; documents are not, they belong to one transaction.",
        request=None,
        responses={201: CaseSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, reference: str) -> Response:
        copy = case_copy(case=self.get_case(reference, facts=False), actor=request.user)
        return self.case_response(copy, status.HTTP_201_CREATED)


class CaseDocumentJsonApi(CaseApiView):
    @extend_schema(
        summary="The case as a screening-contract case document",
        description="The document the screening engine reads; it validates against the contract's case.schema.json.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="A case document"), 404: NOT_FOUND},
    )
    def get(self, request: Request, reference: str) -> Response:
        return Response(case_document(self.get_case(reference)))
