"""The review API under /api/v1/cases/<reference>/: claim, release, recommend, countersign.

Thin views: the case is read through the case selectors (404 to outsiders), the services decide and refuse; a
claim lost to another reviewer is a 409 like any other change that came first."""

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api import BAD_REQUEST, CONFLICT, FORBIDDEN, NOT_FOUND, CaseApiView, Conflict
from cases.serializers import CaseSerializer

from .models import CaseNote, Recommendation, RefusalReason
from .selectors import case_notes_for, decision_for_applicant
from .services import (
    AlreadyClaimed,
    case_claim,
    case_countersign,
    case_note_add,
    case_recommend,
    case_release,
)


class RecommendSerializer(serializers.Serializer):
    recommendation = serializers.ChoiceField(choices=Recommendation.Decision.choices)
    reasons = serializers.CharField(max_length=10000)
    conditions = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    refusal_reasons = serializers.ListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=RefusalReason.objects.all()),
        required=False,
        default=list,
    )
    applicant_text = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")


class CountersignSerializer(serializers.Serializer):
    agree = serializers.BooleanField()
    note = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The case's version as read: if it has moved on (the case was returned and referred again), 409.",
    )


class ReleaseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ReviewApiView(CaseApiView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, AlreadyClaimed):
            exc = Conflict(str(exc), code="already_claimed")
        return super().handle_exception(exc)

    def answer(self, reference: str) -> Response:
        return self.case_response(self.get_case(reference))


RESPONSES = {200: CaseSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}


class CaseClaimApi(ReviewApiView):
    @extend_schema(summary="Claim a screened case for review", request=None, responses=RESPONSES)
    def post(self, request: Request, reference: str) -> Response:
        case_claim(case=self.get_case(reference, facts=False), actor=request.user)
        return self.answer(reference)


class CaseReleaseApi(ReviewApiView):
    @extend_schema(summary="Put a case back in its queue", request=ReleaseSerializer, responses=RESPONSES)
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)  # first: an outsider gets 404 whatever the body
        data = self.validated(ReleaseSerializer).validated_data
        case_release(case=case, actor=request.user, reason=data["reason"])
        return self.answer(reference)


class CaseRecommendApi(ReviewApiView):
    @extend_schema(
        summary="Recommend a decision",
        description="Decides the case at once, or refers it for countersignature where four eyes are needed.",
        request=RecommendSerializer,
        responses=RESPONSES,
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)  # first: an outsider gets 404 whatever the body
        data = self.validated(RecommendSerializer).validated_data
        case_recommend(case=case, actor=request.user, **data)
        return self.answer(reference)


class CaseCountersignApi(ReviewApiView):
    @extend_schema(summary="Countersign or return a recommendation", request=CountersignSerializer, responses=RESPONSES)
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)  # first: an outsider gets 404 whatever the body
        data = dict(self.validated(CountersignSerializer).validated_data)
        # As the page's form does: the senior signs the recommendation they read, not a newer one.
        self.check_version(case, data.pop("version", None))
        case_countersign(case=case, actor=request.user, **data)
        return self.answer(reference)


class DecisionSerializer(serializers.Serializer):
    decision = serializers.CharField()
    conditions = serializers.CharField()
    refusal_reasons = serializers.ListField(child=serializers.DictField())
    text = serializers.CharField()


class CaseDecisionApi(ReviewApiView):
    @extend_schema(
        summary="The decision on a case, as the applicant reads it",
        responses={200: DecisionSerializer, 404: NOT_FOUND},
    )
    def get(self, request: Request, reference: str) -> Response:
        decision = decision_for_applicant(self.get_case(reference, facts=False))
        if decision is None:
            raise Http404("The case has no decision yet.")
        return Response(decision)


class NoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = CaseNote
        fields = ["id", "author", "visibility", "text", "created_at"]
        read_only_fields = ["id", "author", "created_at"]

    def get_author(self, note: CaseNote) -> str:
        return str(note.author)


class NoteInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000)
    visibility = serializers.ChoiceField(choices=CaseNote.Visibility.choices)


class CaseNotesApi(ReviewApiView):
    @extend_schema(
        summary="The notes on a case you may read",
        description="The authority's staff read every note; the case's officers only notes for the applicant.",
        responses={200: NoteSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)
        return Response(NoteSerializer(case_notes_for(case=case, user=request.user), many=True).data)

    @extend_schema(
        summary="Write a note on a case",
        description="Reviewers write internal or applicant-visible notes; the case's officers applicant-visible ones.",
        request=NoteInputSerializer,
        responses={201: NoteSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, reference: str) -> Response:
        case = self.get_case(reference, facts=False)
        data = self.validated(NoteInputSerializer).validated_data
        note = case_note_add(case=case, actor=request.user, **data)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
