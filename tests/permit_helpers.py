"""Builders for permit tests: a real case, submitted and screened under the shipped rule pack, then a permit."""

import io
from datetime import date
from decimal import Decimal

from django.core.management import call_command

from cases.services import case_submit
from permits.services import permit_issue
from screening.models import LicenceType

from .factories import item_data, make_case


def load_rules() -> None:
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


def set_tolerance(tolerance: str) -> None:
    # Published rule-set rows refuse `save()`; a test stands in for a rule admin's new version by updating the
    # seeded rows in place, which is what a version with another tolerance would hold.
    LicenceType.objects.filter(code="single").update(shipment_tolerance=Decimal(tolerance))


def screened_case(officer, capture, **overrides):
    overrides.setdefault(
        "items",
        [
            item_data(quantity_amount=Decimal("100"), value_amount=Decimal("10000.00")),
            item_data(
                description="NdFeB alloy powder",
                control_code="1C905.b",
                quantity_amount=Decimal("50.5"),
                value_amount=Decimal("2500.50"),
            ),
        ],
    )
    case = make_case(officer, decisive_date=date(2025, 6, 1), **overrides)
    with capture(execute=True):
        case_submit(case=case, actor=officer)
    case.refresh_from_db()
    return case


def issue(case, reviewer, *, valid_from=date(2026, 1, 1), **kwargs):
    return permit_issue(
        case=case, actor=reviewer, valid_from=valid_from, conditions=kwargs.pop("conditions", None), **kwargs
    )
