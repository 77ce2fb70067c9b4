from django.urls import reverse
from rest_framework import serializers

from cases.vocab import DocumentType

from .models import InformationRequest


class OpenRequestSerializer(serializers.Serializer):
    questions = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    standard_codes = serializers.ListField(
        child=serializers.SlugField(max_length=50), required=False, default=list, max_length=20
    )
    deadline = serializers.DateField()


class AnswerSerializer(serializers.Serializer):
    """JSON ({"text": …}) or multipart: `text`, `doc_type` for all files, and `files` repeated once per file."""

    text = serializers.CharField(max_length=20000, allow_blank=True)
    doc_type = serializers.ChoiceField(choices=DocumentType.choices, required=False, default=DocumentType.OTHER)
    files = serializers.ListField(child=serializers.FileField(allow_empty_file=True), required=False, default=list)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class StandardQuestionTextSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    text = serializers.CharField()


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="document.pk")
    name = serializers.CharField(source="document.original_name")
    doc_type = serializers.CharField(source="document.doc_type")
    content_type = serializers.CharField(source="document.content_type")
    size = serializers.IntegerField(source="document.size")
    sha256 = serializers.CharField(source="document.sha256")
    url = serializers.SerializerMethodField()

    def get_url(self, attachment) -> str:
        document = attachment.document
        return reverse(
            "api-case-document-download", kwargs={"reference": self.context["reference"], "document_id": document.pk}
        )


class ResponseSerializer(serializers.Serializer):
    answered_by = serializers.CharField(source="answered_by.username")
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True, source="attachments.all")


class InformationRequestSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.reference")
    # Plain text rather than an enum: the schema already has a "status" enum of cases, and the two must not merge.
    status = serializers.CharField(help_text="open, answered, cancelled or lapsed")
    asked_by = serializers.CharField(source="asked_by.username")
    standard_questions = StandardQuestionTextSerializer(many=True)
    response = serializers.SerializerMethodField()

    class Meta:
        model = InformationRequest
        fields = [
            "id",
            "case",
            "status",
            "asked_by",
            "questions",
            "standard_questions",
            "deadline",
            "opened_at",
            "closed_at",
            "closing_note",
            "reminder_sent_at",
            "response",
        ]

    def get_response(self, request: InformationRequest) -> dict | None:
        try:
            response = request.response
        except InformationRequest.response.RelatedObjectDoesNotExist:
            return None
        return ResponseSerializer(response, context={**self.context, "reference": request.case.reference}).data
