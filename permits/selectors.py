"""Reads of permits: the balance per line, the usage history, and permits as a user may see them."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from .models import Permit, PermitItem, PermitStatus, Shipment

ZERO_QUANTITY = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=6))
ZERO_VALUE = Value(Decimal(0), output_field=DecimalField(max_digits=18, decimal_places=2))


@dataclass(frozen=True)
class LineBalance:
    item: PermitItem
    quantity_used: Decimal
    value_used: Decimal
    tolerance: Decimal

    @property
    def quantity_remaining(self) -> Decimal:
        return self.item.quantity_limit - self.quantity_used

    @property
    def value_remaining(self) -> Decimal:
        return self.item.value_limit - self.value_used

    @property
    def quantity_allowed(self) -> Decimal:
        """The most that may have been shipped in all, the licence type's tolerance included."""
        return self.item.quantity_limit * (1 + self.tolerance)

    @property
    def value_allowed(self) -> Decimal:
        return self.item.value_limit * (1 + self.tolerance)

    @property
    def used_up(self) -> bool:
        # A line is used up once either limit is reached: the tolerance covers a shipment that crosses the limit,
        # not further shipments after it.
        return self.quantity_used >= self.item.quantity_limit or self.value_used >= self.item.value_limit


def permit_balance(*, permit: Permit) -> list[LineBalance]:
    """Each line's limits, what shipments have used and what remains, in one query."""
    tolerance = permit.licence_type.shipment_tolerance
    items = PermitItem.objects.filter(permit=permit).annotate(
        quantity_used=Coalesce(Sum("shipment_lines__quantity"), ZERO_QUANTITY),
        value_used=Coalesce(Sum("shipment_lines__value"), ZERO_VALUE),
    )
    return [LineBalance(i, Decimal(i.quantity_used), Decimal(i.value_used), tolerance) for i in items]


def permit_usage_history(*, permit: Permit) -> QuerySet[Shipment]:
    """The shipments recorded against the permit, oldest first, with their lines and who recorded them."""
    return (
        Shipment.objects.filter(permit=permit)
        .select_related("recorded_by")
        .prefetch_related("lines__permit_item")
        .order_by("shipped_on", "id")
    )


def permit_visible_to(user) -> QuerySet[Permit]:
    """Permits a user may read: the holder's officers their own, the authority's reviewers and auditors all."""
    qs = Permit.objects.select_related("organisation", "case", "licence_type", "rule_set")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.reads_all_cases:
        return qs
    if user.organisation_id is not None and user.is_officer:
        return qs.filter(organisation_id=user.organisation_id)
    return qs.none()


def permit_get_for_user(*, user, number: str) -> Permit:
    """The permit, or 404 for anyone who may not see it (outsiders do not learn that it exists)."""
    permit = permit_visible_to(user).filter(number=number).first()
    if permit is None:
        raise Http404("No such permit.")
    return permit


@dataclass(frozen=True)
class Verification:
    """What the public may learn about a permit number: no holder, items, parties or conditions."""

    number: str
    status: str
    status_label: str
    valid_from: object
    valid_to: object


def permit_verify(*, number: str) -> Verification | None:
    row = (
        Permit.objects.filter(number=number.strip().upper())
        .values("number", "status", "valid_from", "valid_to")
        .first()
    )
    if row is None:
        return None
    return Verification(**row, status_label=PermitStatus(row["status"]).label)


def permit_register(
    *,
    user,
    status: str | None = None,
    organisation_id: int | None = None,
    destination: str | None = None,
    control_code: str | None = None,
    valid_on=None,
    search: str | None = None,
) -> QuerySet[Permit]:
    """The permits a user may see, filtered; each filter left empty does not narrow the list."""
    qs = permit_visible_to(user)
    if status:
        qs = qs.filter(status=status)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if destination:
        qs = qs.filter(destination_country=destination.upper())
    if control_code:
        qs = qs.filter(items__control_code__iexact=control_code.strip())
    if valid_on:
        qs = qs.filter(valid_from__lte=valid_on, valid_to__gte=valid_on)
    if search:
        term = search.strip()
        qs = qs.filter(
            Q(number__icontains=term) | Q(case__reference__icontains=term) | Q(end_user_name__icontains=term)
        )
    return qs.distinct().order_by("-issued_at", "-id")
