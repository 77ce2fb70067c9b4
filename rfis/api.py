"""The API of requests for information.

- `GET /api/v1/cases/<reference>/information-requests`: the case's requests, with answers.
- `POST /api/v1/cases/<reference>/information-requests` (JSON): the reviewer holding the case asks.
- `GET /api/v1/information-requests/<id>`: one request.
- `POST /api/v1/information-requests/<id>/answer`: an officer answers. JSON `{"text": …}` for text alone, or
  multipart/form-data with `text`, an optional `doc_type` (for all files) and `files` repeated once per file;
  files are checked as every upload is, a refused one is a 400 keyed `attachments[<n>].file`.
- `POST /api/v1/information-requests/<id>/cancel`: the reviewer withdraws it.

Bad input is a 400 keyed by field path; a request or case the user may not see is a 404; an action the user may
not take is a 403; a request no longer open or a case in another status is a 409."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, CaseApiView, Conflict
from config.api import StrictJSONParser

from .selectors import case_get_for_requests, information_request_get_by_id_for_user, information_requests_for_case
from .serializers import AnswerSerializer, CancelSerializer, InformationRequestSerializer, OpenRequestSerializer
from .services import (
    Attachment,
    RequestClosed,
    information_request_answer,
    information_request_cancel,
    information_request_open,
)


class RfiApiView(CaseApiView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestClosed):
            exc = Conflict(str(exc), code="request_closed")
        return super().handle_exception(exc)

    def answer(self, pk: int, status_code: int = status.HTTP_200_OK) -> Response:
        request_ = information_request_get_by_id_for_user(user=self.request.user, pk=pk)
        return Response(InformationRequestSerializer(request_).data, status=status_code)


class CaseInformationRequestsApi(RfiApiView):
    @extend_schema(
        summary="A case's requests for information",
        responses={200: InformationRequestSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = case_get_for_requests(user=request.user, reference=reference)
        return Response(InformationRequestSerializer(information_requests_for_case(case=case), many=True).data)

    @extend_schema(
        summary="Ask the applicant for information",
        description="Only the reviewer holding a case in review; the case waits for the answer.",
        request=OpenRequestSerializer,
        responses={201: InformationRequestSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = case_get_for_requests(user=request.user, reference=reference)
        data = self.validated(OpenRequestSerializer).validated_data
        opened = information_request_open(case=case, actor=request.user, **data)
        return self.answer(opened.pk, status.HTTP_201_CREATED)


class InformationRequestApi(RfiApiView):
    @extend_schema(summary="A request for information", responses={200: InformationRequestSerializer, 404: NOT_FOUND})
    def get(self, request: Request, pk: int) -> Response:
        return self.answer(pk)


class InformationRequestAnswerApi(RfiApiView):
    parser_classes = [StrictJSONParser, MultiPartParser, FormParser]

    @extend_schema(
        summary="Answer a request for information",
        description="JSON with `text`, or multipart with `text`, `doc_type` and `files` (repeated).",
        request={"application/json": AnswerSerializer, "multipart/form-data": AnswerSerializer},
        responses={200: InformationRequestSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        request_ = information_request_get_by_id_for_user(user=request.user, pk=pk)
        data = request.data
        if hasattr(data, "getlist"):
            # Multipart: `files` comes once per file.
            data = {**{k: data.get(k) for k in data if k != "files"}, "files": request.FILES.getlist("files")}
        serializer = AnswerSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        answer = serializer.validated_data
        information_request_answer(
            request=request_,
            actor=request.user,
            text=answer["text"],
            attachments=[Attachment(upload=f, doc_type=answer["doc_type"]) for f in answer["files"]],
        )
        return self.answer(pk)


class InformationRequestCancelApi(RfiApiView):
    @extend_schema(
        summary="Withdraw a request for information",
        request=CancelSerializer,
        responses={200: InformationRequestSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, pk: int) -> Response:
        request_ = information_request_get_by_id_for_user(user=request.user, pk=pk)
        data = self.validated(CancelSerializer).validated_data
        information_request_cancel(request=request_, actor=request.user, reason=data["reason"])
        return self.answer(pk)
