"""Reads of permits: the balance per line, the usage history, and permits as a user may see them."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, Prefetch, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.crypto import constant_time_compare, salted_hmac

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


# What a permit is shown with wherever it is listed.
PERMIT_RELATED = ("organisation", "case", "licence_type", "rule_set")


def permit_visible_to(user) -> QuerySet[Permit]:
    """Permits a user may read: the holder's officers their own, the authority's reviewers and auditors all."""
    qs = Permit.objects.select_related(*PERMIT_RELATED)
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
    """What the public may learn about a permit number: no holder, items, parties or conditions.
    `code_matches` is None when no code was given, else whether it is the one printed on the certificate."""

    number: str
    status: str
    status_label: str
    valid_from: object
    valid_to: object
    code_matches: bool | None = None


VERIFICATION_SALT = "permits.certificate-verification"


def _verification_code(number: str, issued_at) -> str:
    # A keyed hash of what makes the permit unique (its number and the moment it was issued), with a key derived
    # from SECRET_KEY: only the authority can make one, anyone can have it checked. 12 hex digits keep it short
    # enough to type; guessing one right is a 1 in 2**48 chance for a number someone already holds.
    digest = salted_hmac(VERIFICATION_SALT, f"{number}|{issued_at.isoformat()}", algorithm="sha256").hexdigest()
    code = digest[:12].upper()
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def permit_verification_code(permit: Permit) -> str:
    return _verification_code(permit.number, permit.issued_at)


def _normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def permit_verify(*, number: str, code: str | None = None) -> Verification | None:
    row = (
        Permit.objects.filter(number=number.strip().upper())
        .values("number", "status", "valid_from", "valid_to", "issued_at")
        .first()
    )
    if row is None:
        return None
    issued_at = row.pop("issued_at")
    matches = None
    if code is not None and code.strip():
        expected = _normalise_code(_verification_code(row["number"], issued_at))
        matches = constant_time_compare(expected, _normalise_code(code))
    return Verification(**row, status_label=PermitStatus(row["status"]).label, code_matches=matches)


def permit_register(
    *,
    user,
    status: str | None = None,
    organisation_id: int | None = None,
    destination: str | None = None,
    control_code: str | None = None,
    valid_on=None,
    search: str | None = None,
    licence_type: str | None = None,
    valid_to_from=None,
    valid_to_until=None,
) -> QuerySet[Permit]:
    """The permits a user may see, filtered; each filter left empty does not narrow the list. `search` looks in
    the number, the case reference, the end user's name and the lines' control codes."""
    qs = permit_visible_to(user)
    if licence_type:
        qs = qs.filter(licence_type__code=licence_type)
    if valid_to_from:
        qs = qs.filter(valid_to__gte=valid_to_from)
    if valid_to_until:
        qs = qs.filter(valid_to__lte=valid_to_until)
    if status:
        qs = qs.filter(status=status)
    if organisation_id:
        qs = qs.filter(organisation_id=organisation_id)
    if destination:
        qs = qs.filter(destination_country=destination.upper())
    if control_code:
        qs = qs.filter(pk__in=PermitItem.objects.filter(control_code__iexact=control_code.strip()).values("permit_id"))
    if valid_on:
        qs = qs.filter(valid_from__lte=valid_on, valid_to__gte=valid_on)
    if search and (term := search.strip()):
        # As the case search (search.selectors): one IN over a UNION ALL of ids, each branch through its own trigram
        # index (permits/migrations/0003), instead of an OR across joins to the cases and the lines, which needed
        # DISTINCT over every permit and read all of them: 1.4-2.6 s at 100,000 permits (docs/benchmarks.md).
        first, *rest = [
            Permit.objects.filter(number__icontains=term).order_by().values("pk"),
            Permit.objects.filter(case__reference__icontains=term).order_by().values("pk"),
            Permit.objects.filter(end_user_name__icontains=term).order_by().values("pk"),
            PermitItem.objects.filter(control_code__icontains=term).order_by().values("permit_id"),
        ]
        qs = qs.filter(pk__in=first.union(*rest, all=True))
    # Lines are matched through IN, never joined, so a permit is one row without DISTINCT.
    return qs.order_by("-issued_at", "-id")


def permit_register_rows(qs: QuerySet[Permit]) -> QuerySet[Permit]:
    """The register's rows with their lines' control codes, in one more query per page whatever its size."""
    return qs.prefetch_related(Prefetch("items", queryset=PermitItem.objects.only("permit_id", "control_code")))


class PermitRegisterPages:
    """The register for the pager (Django's Paginator counts and slices whatever can be counted and sliced): a
    page's permits chosen by their ids first, through the filters and the order alone, and only those joined to
    their holder, case and licence type. Joined first, every match was joined before 25 were taken: 8,621 permits
    for a control code, 200 ms (docs/benchmarks.md, Search). The same permits in the same order as `permits`."""

    ordered = True  # the Paginator warns about unordered lists otherwise

    def __init__(self, permits: QuerySet[Permit]) -> None:
        self._permits = permits

    def count(self) -> int:
        return self._permits.count()

    def __getitem__(self, window: slice) -> list[Permit]:
        ids = self._permits.values("pk")[window]
        page = Permit.objects.select_related(*PERMIT_RELATED).filter(pk__in=ids)
        return list(permit_register_rows(page.order_by(*self._permits.query.order_by)))


@dataclass(frozen=True)
class PermitChain:
    """Where a permit stands among amendments and extensions: the permit it replaced, and the cases started to
    amend or extend it (with their permits, once issued)."""

    previous: Permit | None
    amendments: list


def permit_chain(*, permit: Permit) -> PermitChain:
    previous = None
    if permit.case.amends_permit_id is not None:
        previous = Permit.objects.select_related("case").filter(pk=permit.case.amends_permit_id).first()
    from cases.models import Case

    amendments = list(Case.objects.filter(amends_permit=permit).select_related("permit").order_by("created_at", "id"))
    return PermitChain(previous=previous, amendments=amendments)
