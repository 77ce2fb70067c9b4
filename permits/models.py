from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cases.choices import ChoiceLabels


class PermitStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    SUSPENDED = "suspended", _("Suspended")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    EXHAUSTED = "exhausted", _("Exhausted")
    SURRENDERED = "surrendered", _("Surrendered")
    SUPERSEDED = "superseded", _("Superseded")


class PermitNumberCounter(models.Model):
    """The last permit number given out in a year."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)


class Permit(ChoiceLabels, models.Model):
    number = models.CharField(max_length=32, unique=True)
    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="permits")
    # One permit per case: an amendment or extension is a new case with a permit of its own.
    case = models.OneToOneField("cases.Case", on_delete=models.PROTECT, related_name="permit")
    rule_set = models.ForeignKey("screening.RuleSetVersion", on_delete=models.PROTECT, related_name="+")
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="+")
    licence_type = models.ForeignKey("screening.LicenceType", on_delete=models.PROTECT, related_name="+")
    destination_country = CountryField()
    end_user_name = models.CharField(max_length=300)
    end_user_country = CountryField()
    valid_from = models.DateField()
    valid_to = models.DateField()
    # [{"code": ..., "text": ...}] copied from the library when issued.
    standard_conditions = models.JSONField(default=list, blank=True)
    conditions_text = models.TextField(blank=True, max_length=5000)
    status = models.CharField(max_length=16, choices=PermitStatus.choices, default=PermitStatus.ISSUED, db_index=True)
    status_reason = models.TextField(blank=True, max_length=2000)
    # Bumped by every status change, so two people acting on one permit at once cannot both win.
    version = models.PositiveIntegerField(default=1)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_to__gte=models.F("valid_from")), name="permit_validity_order"),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"]),
            models.Index(fields=["status", "valid_to"]),
            # The register's order, newest first: its first page read in order instead of sorting every permit.
            models.Index(fields=["-issued_at", "-id"], name="permit_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.number


class PermitItem(models.Model):
    permit = models.ForeignKey(Permit, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    description = models.CharField(max_length=2000)
    control_code = models.CharField(max_length=32, blank=True)
    quantity_limit = models.DecimalField(max_digits=18, decimal_places=6, validators=[MinValueValidator(Decimal(0))])
    quantity_unit = models.CharField(max_length=16, blank=True)
    value_limit = models.DecimalField(max_digits=18, decimal_places=2, validators=[MinValueValidator(Decimal(0))])
    value_currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity_limit__gte=0), name="permit_item_quantity_not_negative"),
            models.CheckConstraint(condition=Q(value_limit__gte=0), name="permit_item_value_not_negative"),
        ]

    def __str__(self) -> str:
        return self.description[:80]


class Shipment(models.Model):
    permit = models.ForeignKey(Permit, on_delete=models.PROTECT, related_name="shipments")
    shipped_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shipped_on", "id"]

    def __str__(self) -> str:
        return f"{self.permit} shipment of {self.shipped_on}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    permit_item = models.ForeignKey(PermitItem, on_delete=models.PROTECT, related_name="shipment_lines")
    quantity = models.DecimalField(max_digits=18, decimal_places=6)
    value = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=0), name="shipment_line_quantity_not_negative"),
            models.CheckConstraint(condition=Q(value__gte=0), name="shipment_line_value_not_negative"),
            models.UniqueConstraint(fields=["shipment", "permit_item"], name="uniq_shipment_line_item"),
        ]
