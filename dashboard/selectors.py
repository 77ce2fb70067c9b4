"""Reads for the officer's dashboard. Each section is one query whatever the organisation holds, so the page
costs the same with ten cases or a hundred thousand."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to
from cases.vocab import CaseStatus
from permits.models import Permit, PermitItem, PermitStatus
from permits.selectors import ZERO_QUANTITY, ZERO_VALUE, permit_visible_to

SHOWN = 10
# The chart's geometry, in SVG user units: one bar per status, the longest as wide as BAR_MAX.
BAR_MAX = 300
BAR_HEIGHT = 22
BAR_GAP = 8


@dataclass(frozen=True)
class StatusBar:
    status: str
    label: str
    count: int
    width: int
    y: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 6


def cases_by_status(*, user: User) -> list[StatusBar]:
    """Every status in the workflow's order with the number of the user's visible cases in it, as chart bars."""
    counts = dict(
        cases_visible_to(user).order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    top = max(counts.values(), default=0)
    bars = []
    for index, (value, label) in enumerate(CaseStatus.choices):
        count = counts.get(value, 0)
        # A status with cases keeps a sliver of a bar, so a small count never looks like none.
        width = max(2, round(BAR_MAX * count / top)) if count else 0
        bars.append(StatusBar(value, str(label), count, width, index * (BAR_HEIGHT + BAR_GAP)))
    return bars


def chart_height(bars: list[StatusBar]) -> int:
    return len(bars) * (BAR_HEIGHT + BAR_GAP)


def drafts_waiting(*, user: User, limit: int = SHOWN) -> QuerySet[Case]:
    """The organisation's drafts, the ones touched last first: they wait for an officer to finish them."""
    return (
        cases_visible_to(user)
        .filter(status=CaseStatus.DRAFT)
        .select_related("filed_by")
        .order_by("-updated_at", "-id")[:limit]
    )


def information_requests_waiting(*, user: User, limit: int = SHOWN) -> list | None:
    """Open information requests on the organisation's cases, nearest deadline first; None while the rfis app is
    not installed, so the page can leave the section out."""
    if not apps.is_installed("rfis"):
        return None
    request_model = apps.get_model("rfis", "InformationRequest")
    visible = cases_visible_to(user).values("pk")
    return list(
        request_model.objects.filter(case__in=visible, status=request_model.Status.OPEN)
        .select_related("case")
        .order_by("deadline", "id")[:limit]
    )


@dataclass(frozen=True)
class PermitBalance:
    permit: Permit
    days_to_expiry: int
    # The smallest share left on any line, quantity or value: the line that runs out first decides.
    remaining_share: Decimal
    lines: int

    @property
    def remaining_percent(self) -> int:
        return int((self.remaining_share * 100).quantize(Decimal("1")))


def permits_in_force(*, user: User, today: date, limit: int = SHOWN) -> list[PermitBalance]:
    """The user's visible permits in force, soonest to expire first, with what remains of them: two queries (the
    permits, then every line's usage at once), the same sums `permits.selectors.permit_balance` makes per permit."""
    permits = list(
        permit_visible_to(user)
        .filter(status=PermitStatus.ISSUED, valid_to__gte=today)
        .order_by("valid_to", "id")[:limit]
    )
    lines = PermitItem.objects.filter(permit__in=permits).annotate(
        quantity_used=Coalesce(Sum("shipment_lines__quantity"), ZERO_QUANTITY),
        value_used=Coalesce(Sum("shipment_lines__value"), ZERO_VALUE),
    )
    shares: dict[int, list[Decimal]] = {}
    for line in lines:
        left = []
        if line.quantity_limit:
            left.append(max(Decimal(0), 1 - Decimal(line.quantity_used) / line.quantity_limit))
        if line.value_limit:
            left.append(max(Decimal(0), 1 - Decimal(line.value_used) / line.value_limit))
        shares.setdefault(line.permit_id, []).append(min(left, default=Decimal(0)))
    return [
        PermitBalance(
            permit=permit,
            days_to_expiry=(permit.valid_to - today).days,
            remaining_share=min(shares.get(permit.pk, []), default=Decimal(1)),
            lines=len(shares.get(permit.pk, [])),
        )
        for permit in permits
    ]
