"""Rule tables. A rule set is a version; every row of the regime (instrument, provision, control entry, rule,
suspension, country group, licence type, party list) belongs to one version. A draft is edited; a published
version never changes. Rows name each other by key, as in the rule pack, and a version is validated as a whole
(screening.rulepack.validate_pack) before it can be published."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.vocab import Element, Form


class Verification(models.TextChoices):
    TEXT = "text", _("Official text")
    SECONDARY = "secondary", _("Secondary source")
    INFERRED = "inferred", _("Inferred")


class Outcome(models.TextChoices):
    NO_LICENCE_REQUIRED = "no_licence_required", _("No licence required")
    NO_LICENCE_REQUIRED_REPORT = "no_licence_required_report", _("No licence required, report due")
    LICENCE_REQUIRED = "licence_required", _("Licence required")
    CASE_BY_CASE = "case_by_case", _("Case-by-case review")
    PRESUMPTION_OF_DENIAL = "presumption_of_denial", _("Presumption of denial")
    PROHIBITED = "prohibited", _("Prohibited")


class RuleType(models.TextChoices):
    LISTED_ITEM = "listed_item", _("Listed item")
    TECHNOLOGY = "technology", _("Technology")
    CATCH_ALL = "catch_all", _("Knowledge-based catch-all")
    CONTENT_RATIO = "content_ratio", _("Content ratio")
    FOREIGN_DIRECT_PRODUCT = "foreign_direct_product", _("Foreign direct product")
    ORIGIN_REEXPORT = "origin_reexport", _("Origin re-export")
    PARTY_LIST = "party_list", _("Party list")
    END_USER_CATEGORY = "end_user_category", _("End-user category")
    END_USE = "end_use", _("End use")
    DESTINATION = "destination", _("Destination")
    EXCLUSION = "exclusion", _("Exclusion or exemption")


class Binds(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic exporters")
    FOREIGN = "foreign", _("Foreign exporters")
    BOTH = "both", _("Both")


class RuleSetVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    label = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    notes = models.TextField(blank=True)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="drafts")
    effective_from = models.DateField(
        null=True, blank=True, help_text="From this day the version is the one in force for new screenings."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every edit of a draft's rows: a dry run or validation result names the revision it saw.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(published_at__isnull=False),
                name="published_version_has_time",
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT


class PublishedVersionIsImmutable(ValidationError):
    pass


class VersionedRow(models.Model):
    """A row of one rule-set version. Rows of a published version cannot be saved or deleted."""

    version = models.ForeignKey(RuleSetVersion, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def _check_draft(self) -> None:
        status = RuleSetVersion.objects.filter(pk=self.version_id).values_list("status", flat=True).first()
        if status == RuleSetVersion.Status.PUBLISHED:
            raise PublishedVersionIsImmutable("A published rule-set version cannot be changed; edit a draft.")

    def save(self, *args, **kwargs):
        self._check_draft()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._check_draft()
        return super().delete(*args, **kwargs)


class Jurisdiction(VersionedRow):
    code = models.CharField(max_length=3)
    name = models.CharField(max_length=100)
    adjective = models.CharField(max_length=100, blank=True)
    home = models.JSONField(
        default=list, help_text="Countries (or group:CODE) where a domestic exporter is established."
    )

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_jurisdiction")]

    def __str__(self) -> str:
        return self.code


class CountryGroup(VersionedRow):
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    members = models.JSONField(default=list)
    verification = models.CharField(max_length=16, choices=Verification.choices, default=Verification.INFERRED)
    source_url = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_country_group")]

    def __str__(self) -> str:
        return self.code


class Instrument(VersionedRow):
    class Kind(models.TextChoices):
        LAW = "law", _("Law")
        REGULATION = "regulation", _("Regulation")
        ANNOUNCEMENT = "announcement", _("Announcement")
        FAQ = "faq", _("FAQ")
        SUSPENSION = "suspension", _("Suspension")
        LIST_UPDATE = "list_update", _("List update")

    key = models.CharField(max_length=64)
    jurisdiction = models.CharField(max_length=3)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    number = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=500, blank=True)
    issuer = models.CharField(max_length=200, blank=True)
    citation = models.CharField(max_length=300)
    published = models.DateField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["jurisdiction", "effective_from", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="uniq_instrument")]

    def __str__(self) -> str:
        return self.citation


class Provision(VersionedRow):
    key = models.CharField(max_length=64)
    instrument = models.CharField(max_length=64, help_text="Key of the instrument.")
    ref = models.CharField(max_length=100, blank=True)
    text = models.TextField(blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="uniq_provision")]

    def __str__(self) -> str:
        return self.key


class HSCode(models.Model):
    """A customs tariff code. Reference only: the control code decides."""

    code = models.CharField(max_length=10, unique=True)

    def __str__(self) -> str:
        return self.code


class ControlEntry(VersionedRow):
    jurisdiction = models.CharField(max_length=3)
    code = models.CharField(max_length=32)
    element = models.CharField(max_length=2, choices=Element.choices, blank=True)
    forms = models.JSONField(default=list, help_text=f"Any of: {', '.join(Form.values)}")
    description = models.CharField(max_length=500)
    provision = models.CharField(max_length=64, blank=True)
    hs_codes = models.ManyToManyField(HSCode, blank=True, related_name="control_entries")
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)

    class Meta:
        ordering = ["jurisdiction", "code"]
        verbose_name_plural = "control entries"
        constraints = [models.UniqueConstraint(fields=["version", "jurisdiction", "code"], name="uniq_control_entry")]

    def __str__(self) -> str:
        return self.code


class LicenceType(VersionedRow):
    jurisdiction = models.CharField(max_length=3)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=200)
    max_validity_days = models.PositiveIntegerField()
    review_working_days = models.PositiveIntegerField(null=True, blank=True)
    amendment_review_working_days = models.PositiveIntegerField(null=True, blank=True)
    extensions = models.PositiveIntegerField(default=0)
    shipment_tolerance = models.DecimalField(max_digits=6, decimal_places=4, default=0)
    provision = models.CharField(max_length=64, blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)

    class Meta:
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "jurisdiction", "code"], name="uniq_licence_type")]

    def __str__(self) -> str:
        return f"{self.jurisdiction} {self.name}"


class Rule(VersionedRow):
    code = models.CharField(max_length=64)
    jurisdiction = models.CharField(max_length=3)
    type = models.CharField(max_length=32, choices=RuleType.choices)
    provision = models.CharField(max_length=64, help_text="Key of the provision (or instrument) the rule comes from.")
    outcome = models.CharField(max_length=32, choices=Outcome.choices)
    binds = models.CharField(max_length=16, choices=Binds.choices, default=Binds.BOTH)
    transactions = models.JSONField(null=True, blank=True)
    destinations = models.JSONField(null=True, blank=True)
    exclude_destinations = models.JSONField(null=True, blank=True)
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(null=True, blank=True)
    obligations = models.JSONField(default=list, blank=True)
    summary = models.TextField(blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)
    source_url = models.CharField(max_length=500, blank=True)
    conditions = models.JSONField(
        default=dict, help_text="The conditions of the rule's type (see the rule-pack schema)."
    )

    class Meta:
        ordering = ["jurisdiction", "code"]
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="uniq_rule")]

    def __str__(self) -> str:
        return self.code


class Suspension(VersionedRow):
    class TargetKind(models.TextChoices):
        RULE = "rule", _("Rule")
        PROVISION = "provision", _("Provision")
        INSTRUMENT = "instrument", _("Instrument")
        LIST = "list", _("Party list")

    key = models.CharField(max_length=64)
    target_kind = models.CharField(max_length=16, choices=TargetKind.choices)
    target = models.CharField(max_length=64)
    by = models.CharField(max_length=64, help_text="Key of the suspending instrument.")
    starts = models.DateField()
    ends = models.DateField(null=True, blank=True)
    ends_inclusive = models.BooleanField(default=True, help_text="Whether the suspension still holds on its end day.")
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["starts", "key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="uniq_suspension")]

    def __str__(self) -> str:
        return self.key


class PartyList(VersionedRow):
    key = models.CharField(max_length=64)
    jurisdiction = models.CharField(max_length=3)
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=500, blank=True)
    verification = models.CharField(max_length=16, choices=Verification.choices, blank=True)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="uniq_party_list")]

    def __str__(self) -> str:
        return self.name


class PartyListEntry(VersionedRow):
    party_list = models.ForeignKey(PartyList, on_delete=models.CASCADE, related_name="entries")
    entry_id = models.CharField(max_length=64)
    name = models.CharField(max_length=300)
    aliases = models.JSONField(default=list, blank=True)
    country = models.CharField(max_length=2, blank=True)
    instrument = models.CharField(max_length=64, blank=True)
    listed_from = models.DateField(null=True, blank=True)
    listed_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["party_list", "id"]
        verbose_name_plural = "party list entries"
        constraints = [models.UniqueConstraint(fields=["party_list", "entry_id"], name="uniq_party_list_entry")]

    def __str__(self) -> str:
        return self.name


class Screening(models.Model):
    """A determination stored for a case: what the engine said, under which version, on which decisive date."""

    class Trigger(models.TextChoices):
        SUBMISSION = "submission", _("Submission")
        RESCREEN = "rescreen", _("Re-screening")

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="screenings")
    version = models.ForeignKey(RuleSetVersion, on_delete=models.PROTECT, related_name="screenings")
    trigger = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.SUBMISSION)
    decisive_date = models.DateField()
    outcome = models.CharField(max_length=32, choices=Outcome.choices, db_index=True)
    determination = models.JSONField()
    facts_digest = models.CharField(max_length=64, help_text="SHA-256 of the case document that was screened.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A task that runs twice for the same facts and rules stores one screening.
            models.UniqueConstraint(fields=["case", "version", "facts_digest", "trigger"], name="uniq_screening")
        ]

    def __str__(self) -> str:
        return f"{self.case} under {self.version}: {self.outcome}"
