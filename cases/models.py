from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from .choices import ChoiceLabels
from .vocab import (
    CaseStatus,
    DocumentType,
    Element,
    Form,
    ItemKind,
    LicenceType,
    PartyCategory,
    PartyRole,
    TechnologyArea,
    Transaction,
)

SHARE_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]
currency_validator = RegexValidator(r"^[A-Z]{3}$", _("A currency is three capital letters (ISO 4217), e.g. USD."))
hs_code_validator = RegexValidator(r"^[0-9]{6,10}$", _("An HS code is 6 to 10 digits."))


class ReferenceCounter(models.Model):
    """The last case number given out in a year. Locked row by row while a reference is issued."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class CaseKind(models.TextChoices):
    NEW = "new", _("New licence")
    AMENDMENT = "amendment", _("Amendment")
    EXTENSION = "extension", _("Extension")


class Case(ChoiceLabels, models.Model):
    reference = models.CharField(max_length=32, unique=True)
    # Not indexed alone: the index on (organisation, status, -created_at) leads with it (see Meta.indexes).
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="filed_cases")
    licence_type = models.CharField(max_length=16, choices=LicenceType.choices, default=LicenceType.SINGLE)
    transaction = models.CharField(max_length=24, choices=Transaction.choices, default=Transaction.EXPORT)
    destination_country = CountryField(blank=True)
    decisive_date = models.DateField(
        null=True, blank=True, help_text=_("The intended export date: the rules in force on this date apply.")
    )
    end_use_categories = models.JSONField(default=list, blank=True)
    end_use_description = models.TextField(blank=True, max_length=5000)
    authority_notified = models.BooleanField(
        default=False, help_text=_("An authority has told the exporter the items may serve a controlled end use.")
    )
    # Not indexed alone (nor by pattern): case_status_created_idx leads with it and serves every status filter.
    status = models.CharField(max_length=32, choices=CaseStatus.choices, default=CaseStatus.DRAFT)
    # Bumped by every write, so two people acting on one case at once cannot both win (optimistic locking).
    version = models.PositiveIntegerField(default=1)
    # Rarely set: indexed only where set (Meta.indexes), so the cases without one cost their index nothing.
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies", db_index=False
    )
    # An amendment or extension is a case of its own; when its permit is issued, the permit it amends is superseded.
    kind = models.CharField(max_length=16, choices=CaseKind.choices, default=CaseKind.NEW)
    amends_permit = models.ForeignKey(
        "permits.Permit", null=True, blank=True, on_delete=models.PROTECT, related_name="amendments", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organisation", "status", "-created_at"]),
            # The case search's date range and its "recently submitted" order; the destination filter.
            models.Index(fields=["submitted_at"], name="case_submitted_at_idx"),
            models.Index(fields=["destination_country", "status"], name="case_destination_status_idx"),
            # Newest first across organisations (the authority's lists): read in order instead of sorted.
            models.Index(fields=["-created_at", "-id"], name="case_created_idx"),
            # The case search's other orders (search.selectors.SORTS), read in order for the first page instead of
            # joining and sorting every case the authority's staff may see. ("Recently submitted", NULLS LAST, is
            # indexed by cases/migrations/0007 on PostgreSQL only: SQLite has no NULLS LAST in an index.)
            models.Index(fields=["-updated_at", "-id"], name="case_updated_idx"),
            # Also the status filter, newest first (it replaces an index on status and created_at alone).
            models.Index(fields=["status", "-created_at", "-id"], name="case_status_created_idx"),
            models.Index(fields=["destination_country", "-created_at", "-id"], name="case_destination_created_idx"),
            # Every update of a case changes an indexed column (status, updated_at), so it writes a new entry into
            # every index of the table: a null entry for each case that is no copy and no amendment would be
            # written three times per case filed for nothing. The lookups (a permit's amendments, the copies
            # cleared when a case is deleted) are all on a value, which these partial indexes serve.
            models.Index(
                fields=["copied_from"], condition=models.Q(copied_from__isnull=False), name="case_copied_from_idx"
            ),
            models.Index(
                fields=["amends_permit"], condition=models.Q(amends_permit__isnull=False), name="case_amends_permit_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_editable(self) -> bool:
        return self.status == CaseStatus.DRAFT


class Item(ChoiceLabels, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=ItemKind.choices, default=ItemKind.GOODS)
    description = models.CharField(max_length=2000)
    control_code = models.CharField(max_length=32, blank=True)
    hs_code = models.CharField(max_length=10, blank=True, validators=[hs_code_validator])
    produced_in = CountryField(blank=True, help_text=_("Where the item was made; defaults to the exporter's country."))
    origin_country = CountryField(
        blank=True, help_text=_("Origin of the item as it is; defaults to where it was made.")
    )
    technology_origin = CountryField(blank=True, help_text=_("Country whose technology was used to make the item."))
    quantity_amount = models.DecimalField(
        max_digits=18, decimal_places=6, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    quantity_unit = models.CharField(max_length=16, blank=True)
    value_amount = models.DecimalField(
        max_digits=18, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    value_currency = models.CharField(max_length=3, blank=True, validators=[currency_validator])
    deep_processed = models.BooleanField(
        default=False, help_text=_("An assembly or finished product in which controlled material is integrated.")
    )
    technology_area = models.CharField(max_length=32, choices=TechnologyArea.choices, blank=True)
    public_domain = models.BooleanField(
        default=False, help_text=_("Technology already published, or basic scientific research.")
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value_amount__gte=0) | models.Q(value_amount__isnull=True),
                name="item_value_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_amount__gte=0) | models.Q(quantity_amount__isnull=True),
                name="item_quantity_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class ItemElement(ChoiceLabels, models.Model):
    """A controlled element the item consists of or contains."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="elements")
    element = models.CharField(max_length=2, choices=Element.choices)
    form = models.CharField(max_length=16, choices=Form.choices)
    mass_fraction = models.DecimalField(
        max_digits=9, decimal_places=8, null=True, blank=True, validators=SHARE_VALIDATORS
    )

    class Meta:
        ordering = ["id"]


class ItemContent(ChoiceLabels, models.Model):
    """A controlled input inside an item made abroad, with its origin and share of the item's value."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="content")
    control_code = models.CharField(max_length=32, blank=True)
    element = models.CharField(max_length=2, choices=Element.choices, blank=True)
    form = models.CharField(max_length=16, choices=Form.choices, blank=True)
    origin_country = CountryField()
    value_share = models.DecimalField(max_digits=9, decimal_places=8, validators=SHARE_VALIDATORS)

    class Meta:
        ordering = ["id"]


class Party(ChoiceLabels, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="parties")
    position = models.PositiveIntegerField(default=0)
    role = models.CharField(max_length=32, choices=PartyRole.choices)
    name = models.CharField(max_length=300)
    address = models.TextField(blank=True, max_length=1000)
    country = CountryField()
    category = models.CharField(max_length=16, choices=PartyCategory.choices, default=PartyCategory.COMMERCIAL)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "parties"

    def __str__(self) -> str:
        return self.name


class PartyOwner(models.Model):
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="owners")
    name = models.CharField(max_length=300)
    country = CountryField(blank=True)
    share = models.DecimalField(max_digits=9, decimal_places=8, validators=SHARE_VALIDATORS)

    class Meta:
        ordering = ["id"]


def document_upload_to(instance: "Document", filename: str) -> str:
    # The stored name is ours, never the uploader's: no path from the client reaches the file system.
    return f"cases/{instance.case_id}/{instance.sha256[:16]}-{instance.storage_suffix}"


class Document(ChoiceLabels, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(max_length=32, choices=DocumentType.choices)
    file = models.FileField(upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    @property
    def storage_suffix(self) -> str:
        from .uploads import EXTENSION_BY_TYPE

        return "document." + EXTENSION_BY_TYPE.get(self.content_type, "bin")

    def __str__(self) -> str:
        return self.original_name
