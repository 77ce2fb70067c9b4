"""Requests for information: a reviewer asks the applicant questions with a deadline, an officer answers with
text and documents. While a request is open the case is `information_requested` and its review clock stops."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StandardQuestion(models.Model):
    """A question reviewers ask often, in wording agreed once. Its text is copied into each request that uses
    it, so editing it later never changes what an applicant was asked."""

    code = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField(help_text=_("The wording the applicant reads."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class InformationRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ANSWERED = "answered", _("Answered")
        CANCELLED = "cancelled", _("Cancelled")
        LAPSED = "lapsed", _("Lapsed")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="information_requests")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    questions = models.TextField(blank=True, max_length=10000)
    # [{"code", "title", "text"}]: the standard questions as worded when asked.
    standard_questions = models.JSONField(default=list, blank=True)
    deadline = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(blank=True, max_length=2000)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            # The case workflow allows one request at a time; the database says so too.
            models.UniqueConstraint(fields=["case"], condition=Q(status="open"), name="one_open_request_per_case")
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"Request {self.pk} on {self.case}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class InformationResponse(models.Model):
    """The officer's answer. A request is answered once: answering moves the case back to review."""

    request = models.OneToOneField(InformationRequest, on_delete=models.CASCADE, related_name="response")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=20000)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Answer to {self.request}"


class ResponseAttachment(models.Model):
    """A document sent with an answer. The file is a case document (checked, stored and downloaded as every
    other one), so the reviewer finds it among the case's documents too."""

    response = models.ForeignKey(InformationResponse, on_delete=models.CASCADE, related_name="attachments")
    document = models.OneToOneField("cases.Document", on_delete=models.CASCADE, related_name="rfi_attachment")

    class Meta:
        ordering = ["id"]
