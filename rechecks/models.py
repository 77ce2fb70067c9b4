"""Re-checks of issued permits: a run, the chunks it is split into for the workers, the findings it produces,
and the index of permit facts that lets an incremental run select only the permits a change can touch."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.choices import ChoiceLabels


class Trigger(models.TextChoices):
    RULE_SET_PUBLISHED = "rule_set_published", _("Rule set published")
    LIST_VERSION_IMPORTED = "list_version_imported", _("Party list imported")
    DAILY_DATE_CHECK = "daily_date_check", _("A rule or suspension starts or ends")
    MANUAL = "manual", _("Started by a rule admin")


class RecheckRun(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    trigger = models.CharField(max_length=32, choices=Trigger.choices)
    # None: each permit is compared with the determination it was issued on (a manual "does it still hold").
    old_version = models.ForeignKey(
        "screening.RuleSetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_version = models.ForeignKey("screening.RuleSetVersion", on_delete=models.PROTECT, related_name="+")
    list_version = models.ForeignKey(
        "parties.ListVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The day the new side is evaluated on, and the day the old side is (the day before for a daily check).
    decisive_date = models.DateField()
    baseline_date = models.DateField()
    # {"incremental": bool, "organisations": [ids], "control_codes": [...], "countries": [...]}; the run also
    # records what an incremental selection looked for ("facets", or "full": true).
    scope = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    chunk_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # The daily check runs once per day and version, however often beat fires.
            models.UniqueConstraint(
                fields=["trigger", "new_version", "decisive_date"],
                condition=models.Q(trigger="daily_date_check"),
                name="uniq_daily_recheck",
            )
        ]

    def __str__(self) -> str:
        return f"Re-check {self.pk} ({self.get_trigger_display()})"

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(100 * self.done / self.total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class RecheckChunk(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")

    run = models.ForeignKey(RecheckRun, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    permit_ids = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "index"]
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="uniq_recheck_chunk")]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.run} chunk {self.index}"


class Finding(ChoiceLabels, models.Model):
    class Direction(models.TextChoices):
        STRICTER = "stricter", _("Stricter")
        LOOSER = "looser", _("Looser")
        SAME_OUTCOME = "same_outcome", _("Same outcome, other reasons")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        KEPT = "kept", _("Kept")
        SUSPENDED = "suspended", _("Permit suspended")
        REVOKED = "revoked", _("Permit revoked")
        REAPPLY = "reapply", _("Holder asked to apply again")
        NOTED = "noted", _("Noted")

    run = models.ForeignKey(RecheckRun, on_delete=models.CASCADE, related_name="findings")
    permit = models.ForeignKey("permits.Permit", on_delete=models.PROTECT, related_name="recheck_findings")
    direction = models.CharField(max_length=16, choices=Direction.choices, db_index=True)
    old_outcome = models.CharField(max_length=32)
    new_outcome = models.CharField(max_length=32)
    newly_fired = models.JSONField(default=list)
    no_longer_fired = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    triage_reason = models.TextField(blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(null=True, blank=True)
    new_case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A chunk processed twice (a redelivered task, two workers) writes each finding once.
            models.UniqueConstraint(fields=["run", "permit"], name="uniq_finding_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.permit_id}: {self.old_outcome} → {self.new_outcome}"

    @property
    def old_outcome_label(self) -> str:
        from screening.models import Outcome

        return dict(Outcome.choices).get(self.old_outcome, self.old_outcome)

    @property
    def new_outcome_label(self) -> str:
        from screening.models import Outcome

        return dict(Outcome.choices).get(self.new_outcome, self.new_outcome)


class FacetKind(models.TextChoices):
    CONTROL_CODE = "control_code", _("Control code")
    ELEMENT = "element", _("Element")
    TECHNOLOGY_AREA = "technology_area", _("Technology area")
    CONTENT_ORIGIN = "content_origin", _("Origin of foreign content")
    TECHNOLOGY_ORIGIN = "technology_origin", _("Origin of technology")
    ORIGIN = "origin", _("Origin of an item")
    DESTINATION = "destination", _("Destination")
    END_USE = "end_use", _("End-use category")
    FLAG = "flag", _("Flag")
    PARTY_CATEGORY = "party_category", _("Party category")
    PARTY = "party", _("Party (country and name)")


class PermitFacet(models.Model):
    """One fact of a permit that a rule can depend on. Written once per permit (permit facts do not change after
    issue: an amendment is a new case with its own permit)."""

    permit = models.ForeignKey("permits.Permit", on_delete=models.CASCADE, related_name="recheck_facets")
    kind = models.CharField(max_length=32, choices=FacetKind.choices)
    value = models.CharField(max_length=400)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["permit", "kind", "value"], name="uniq_permit_facet")]
        indexes = [
            # Pattern ops: control codes are selected by prefix (a rule's "1C905" covers "1C905.A").
            models.Index(
                fields=["kind", "value"],
                name="recheck_facet_kind_value",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.permit_id} {self.kind}={self.value}"
