"""A long import run by a worker: a restricted-party list or a rule pack, uploaded on a page, with the counts its
page polls while it runs and, at the end, what it made or why it made nothing."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class Kind(models.TextChoices):
        LIST = "list", _("Restricted-party list")
        RULE_PACK = "rule_pack", _("Rule pack")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Stage(models.TextChoices):
        WAITING = "", _("Waiting for a worker")
        READING = "reading", _("Reading the files")
        WRITING = "writing", _("Writing")

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.WAITING, blank=True)
    # [{"name": the cleaned name the person gave, "stored": the storage name the app made, "size", "sha256"}]
    files = models.JSONField(default=list)
    # list: {"list_key", "format", "name", "jurisdiction", "effective_from"}; rule pack: {"label"}
    options = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Rows read while reading (total still 0), then rows written of total while writing.
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    # Where the file or pack is wrong: [{"path": "sdn.csv line 12" or "rules[0].provision", "messages": [...]}]
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    list_version = models.ForeignKey(
        "parties.ListVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rule_set_version = models.ForeignKey(
        "screening.RuleSetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # Moved by every progress write: a job left running by a worker that died is told apart by its silence.
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_kind_display()})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def indeterminate(self) -> bool:
        """No total yet (waiting, or reading a file whose row count is known only at its end)."""
        return not self.finished and not self.total

    @property
    def title(self) -> str:
        if self.kind == self.Kind.LIST:
            return self.options.get("list_key", "")
        return self.options.get("label") or (self.files[0]["name"] if self.files else "")
