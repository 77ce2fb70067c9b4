"""Restricted-party lists. A list has versions; importing a file makes a new version all at once, and the
previous one stays for the record (and for cases whose decisive date it covers)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD


class ListFormat(models.TextChoices):
    CSL = "csl", _("US Consolidated Screening List (CSV)")
    OFAC_SDN = "ofac-sdn", _("OFAC SDN legacy CSV (sdn, alt, add)")
    UN_XML = "un-xml", _("UN Security Council consolidated list (XML)")
    CSV = "csv", _("Simple CSV maintained by hand")


class RestrictedList(models.Model):
    key = models.CharField(max_length=64, unique=True, help_text="Stable name rules refer to, e.g. US-CSL.")
    name = models.CharField(max_length=200)
    jurisdiction = models.CharField(max_length=3, blank=True)
    publisher = models.CharField(max_length=200, blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    format = models.CharField(max_length=16, choices=ListFormat.choices)
    # Scores at or above match_threshold are hits; between review_threshold and it, potential hits for review.
    # Defaults from the matcher's evaluation (docs/benchmarks.md, "Party matching").
    match_threshold = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal(str(DEFAULT_THRESHOLD)))
    review_threshold = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal(str(REVIEW_THRESHOLD)))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class ListVersion(models.Model):
    class Status(models.TextChoices):
        CURRENT = "current", _("Current")
        SUPERSEDED = "superseded", _("Superseded")

    restricted_list = models.ForeignKey(RestrictedList, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CURRENT, db_index=True)
    effective_from = models.DateField(
        help_text="The list as it stood from this day: cases decided on or after it use it."
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_files = models.JSONField(default=list, help_text="Names and SHA-256 of the files imported.")
    entry_count = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["restricted_list", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["restricted_list", "number"], name="uniq_list_version_number"),
            models.UniqueConstraint(
                fields=["restricted_list"], condition=models.Q(status="current"), name="one_current_list_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.restricted_list.key} v{self.number}"


class EntryKind(models.TextChoices):
    PERSON = "person", _("Person")
    ENTITY = "entity", _("Entity")
    VESSEL = "vessel", _("Vessel")
    AIRCRAFT = "aircraft", _("Aircraft")
    UNKNOWN = "unknown", _("Unknown")


class ListEntry(models.Model):
    version = models.ForeignKey(ListVersion, on_delete=models.CASCADE, related_name="entries")
    entry_id = models.CharField(max_length=100, help_text="The list's own identifier for the entry.")
    kind = models.CharField(max_length=16, choices=EntryKind.choices, default=EntryKind.UNKNOWN)
    name = models.CharField(max_length=500)
    # [{"name": "...", "strength": "strong" | "weak"}]: aliases as the list gives them.
    aliases = models.JSONField(default=list, blank=True)
    countries = models.JSONField(default=list, blank=True)
    addresses = models.JSONField(default=list, blank=True)
    identifiers = models.JSONField(default=list, blank=True)  # [{"type": "...", "value": "..."}]
    dates = models.JSONField(default=dict, blank=True)  # dates of birth, listing dates...
    programs = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="The sub-list within a consolidated list.")
    remarks = models.TextField(blank=True)
    license_requirement = models.TextField(blank=True)
    license_policy = models.TextField(blank=True)
    federal_register_notice = models.TextField(blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    instrument = models.CharField(max_length=64, blank=True, help_text="Key of the legal instrument that listed it.")
    listed_from = models.DateField(null=True, blank=True)
    listed_to = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the entry's content: changes when it does.")

    class Meta:
        ordering = ["version", "id"]
        verbose_name_plural = "list entries"
        constraints = [models.UniqueConstraint(fields=["version", "entry_id"], name="uniq_entry_in_version")]
        indexes = [models.Index(fields=["version", "content_hash"])]

    def __str__(self) -> str:
        return self.name


class Decision(models.TextChoices):
    TRUE_MATCH = "true_match", _("True match")
    FALSE_POSITIVE = "false_positive", _("False positive")


class Disposition(models.Model):
    """A reviewer's decision on a party against a list entry, remembered against the party (its normalised
    name and country) and the entry's content: the same hit is not raised again until the entry changes."""

    party_key = models.CharField(max_length=300, db_index=True)
    party_country = models.CharField(max_length=2, blank=True)
    party_name = models.CharField(max_length=300)
    restricted_list = models.ForeignKey(RestrictedList, on_delete=models.PROTECT, related_name="dispositions")
    entry_id = models.CharField(max_length=100)
    entry_hash = models.CharField(max_length=64)
    decision = models.CharField(max_length=16, choices=Decision.choices)
    reason = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["party_key", "party_country", "restricted_list", "entry_id"])]

    def __str__(self) -> str:
        return f"{self.party_name} ~ {self.entry_id}: {self.decision}"


class PotentialMatch(models.Model):
    """A list hit on a case's party (or a declared owner) for a reviewer to dispose of."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISPOSED = "disposed", _("Disposed")

    class Origin(models.TextChoices):
        SCREENING = "screening", _("Screening of the case")
        LIST_UPDATE = "list_update", _("A new version of the list")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="potential_matches")
    party_index = models.PositiveIntegerField()
    party_name = models.CharField(max_length=300)
    via_owner = models.CharField(max_length=300, blank=True)
    restricted_list = models.ForeignKey(RestrictedList, on_delete=models.PROTECT, related_name="+")
    list_version = models.ForeignKey(ListVersion, on_delete=models.PROTECT, related_name="+")
    entry_id = models.CharField(max_length=100)
    entry_name = models.CharField(max_length=500)
    entry_hash = models.CharField(max_length=64)
    score = models.DecimalField(max_digits=5, decimal_places=4)
    band = models.CharField(max_length=8, help_text="hit (at or above the list's threshold) or review")
    explanation = models.JSONField(default=dict)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.SCREENING)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True)
    disposition = models.ForeignKey(Disposition, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            # Raised once per party, entry and entry content, however often the case is screened.
            models.UniqueConstraint(
                fields=["case", "party_index", "via_owner", "restricted_list", "entry_id", "entry_hash"],
                name="uniq_potential_match",
            )
        ]

    def __str__(self) -> str:
        return f"{self.party_name} ~ {self.entry_name} ({self.score})"
