"""Queues, the rules that route screened cases to them, and who is working on which case."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.choices import ChoiceLabels
from cases.vocab import LicenceType
from screening.models import Outcome


class Queue(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=50, unique=True)
    description = models.TextField(blank=True)
    senior_only = models.BooleanField(default=False, help_text=_("Only senior reviewers may claim cases from it."))
    is_default = models.BooleanField(
        default=False, help_text=_("Where a screened case goes when no routing rule matches it.")
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_queue"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """Screened cases that match every condition set here go to `queue`; the lowest priority number wins.

    Outcomes match by the ladder: `min_outcome` case_by_case takes case-by-case, presumption of denial and
    prohibited cases alike."""

    queue = models.ForeignKey(Queue, on_delete=models.PROTECT, related_name="rules")
    priority = models.PositiveIntegerField(default=100, help_text=_("Rules are tried lowest number first."))
    min_outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    max_outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    destination_country = CountryField(blank=True)
    licence_type = models.CharField(max_length=16, choices=LicenceType.choices, blank=True)
    active = models.BooleanField(default=True)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["priority", "id"]

    def __str__(self) -> str:
        return self.description or f"Rule {self.pk} → {self.queue}"


class CaseAssignment(ChoiceLabels, models.Model):
    """The queue a case was routed to and the reviewer working on it (none while it waits in the queue)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="assignment")
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments")
    outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    rule = models.ForeignKey(RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="review_assignments"
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    routed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["queue", "assigned_to"])]

    def __str__(self) -> str:
        return f"{self.case} in {self.queue or 'no queue'}"


class RefusalReason(models.Model):
    """A standard refusal reason: its text is shown to the applicant as written here."""

    code = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField(help_text=_("The wording the applicant reads."))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class Recommendation(ChoiceLabels, models.Model):
    """A reviewer's recommendation on a case and, where four eyes are needed, a senior reviewer's countersignature.

    The case's status carries the decision; this row says who recommended what, why, and who countersigned."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("Approve")
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
        REFUSE = "refuse", _("Refuse")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="recommendations")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=32, choices=Decision.choices)
    reasons = models.TextField(help_text=_("The reviewer's reasoning, for the authority's staff."))
    conditions = models.TextField(blank=True, help_text=_("Conditions attached to an approval."))
    refusal_reasons = models.ManyToManyField(RefusalReason, blank=True, related_name="+")
    applicant_text = models.TextField(blank=True, help_text=_("Free text the applicant reads with the decision."))
    screening_outcome = models.CharField(max_length=32, choices=Outcome.choices, blank=True)
    needs_countersignature = models.BooleanField(default=False)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersign_agreed = models.BooleanField(null=True)
    countersign_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Four eyes in the database as well as in the service: nobody countersigns their own recommendation.
            models.CheckConstraint(
                condition=~models.Q(countersigned_by=models.F("reviewer")), name="countersigner_is_not_reviewer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case}: {self.get_decision_display()}"


class CaseNote(models.Model):
    """A note on a case. Internal notes are the authority's own working; applicant-visible notes are the
    conversation between the authority and the exporter's officers."""

    class Visibility(models.TextChoices):
        INTERNAL = "internal", _("Internal (authority only)")
        APPLICANT = "applicant", _("Visible to the applicant")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(max_length=10000)
    visibility = models.CharField(max_length=16, choices=Visibility.choices, default=Visibility.INTERNAL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["case", "visibility", "created_at"])]

    def __str__(self) -> str:
        return f"Note on {self.case_id} by {self.author_id}"
