"""Issuing permits: number, limits copied from the case, validity from the licence type, audit."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from cases.services import case_withdraw
from permits.models import Permit, PermitItem, PermitStatus, Shipment, ShipmentLine
from permits.services import permit_issue
from screening.models import Screening

from .factories import make_case
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(db):
    load_rules()


@pytest.fixture
def case(rules, officer, django_capture_on_commit_callbacks):
    return screened_case(officer, django_capture_on_commit_callbacks)


def test_issue_copies_items_parties_and_decision(case, reviewer):
    permit = issue(
        case,
        reviewer,
        conditions={"standard": ["no-reexport", "records"], "text": "  Ship by sea only.  "},
    )
    screening = Screening.objects.get(case=case)
    year = timezone.localdate().year
    assert permit.number == f"PRM-{year}-000001"
    assert permit.status == PermitStatus.ISSUED and permit.version == 1
    assert permit.organisation == case.organisation and permit.case == case
    assert permit.screening == screening and permit.rule_set == screening.version
    assert permit.licence_type.code == "single" and permit.licence_type.version == screening.version
    assert permit.destination_country == "DE"
    assert (permit.end_user_name, permit.end_user_country) == ("Stuttgart Antriebstechnik GmbH", "DE")
    assert [c["code"] for c in permit.standard_conditions] == ["no-reexport", "records"]
    assert permit.standard_conditions[0]["text"].startswith("The items may not be re-exported")
    assert permit.conditions_text == "Ship by sea only."
    items = list(permit.items.all())
    assert [(i.description, i.control_code) for i in items] == [
        ("Sintered NdFeB magnets, 2.5 wt % Dy", "1C905.a"),
        ("NdFeB alloy powder", "1C905.b"),
    ]
    assert items[1].quantity_limit == Decimal("50.5") and items[1].quantity_unit == "kg"
    assert items[1].value_limit == Decimal("2500.50") and items[1].value_currency == "USD"
    event = AuditEvent.objects.get(verb="permit.issued")
    assert event.actor == reviewer and event.case == case
    assert event.after["items"][1]["value"] == {"amount": "2500.50", "currency": "USD"}


def test_numbers_are_sequential(rules, officer, reviewer, django_capture_on_commit_callbacks):
    a = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    b = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    assert int(b.number[-6:]) == int(a.number[-6:]) + 1


def test_validity_defaults_to_and_is_clipped_at_the_maximum(
    rules, officer, reviewer, django_capture_on_commit_callbacks
):
    # The shipped rule pack allows a Chinese single licence 365 days.
    default = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    assert (default.valid_from, default.valid_to) == (date(2026, 1, 1), date(2026, 12, 31))
    clipped = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer, validity_days=1000)
    assert clipped.valid_to == date(2026, 12, 31)
    shorter = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer, validity_days=90)
    assert shorter.valid_to == date(2026, 3, 31)


def test_only_reviewers_issue(case, officer, auditor):
    for actor in (officer, auditor):
        with pytest.raises(PermissionDenied):
            issue(case, actor)
    assert not Permit.objects.exists()


def test_refused_inputs_change_nothing(case, reviewer):
    with pytest.raises(ValidationError, match="Unknown standard condition: made-up"):
        issue(case, reviewer, conditions={"standard": ["made-up"]})
    with pytest.raises(ValidationError, match="at least one day"):
        issue(case, reviewer, validity_days=0)
    assert not Permit.objects.exists() and not PermitItem.objects.exists()
    assert not AuditEvent.objects.filter(verb="permit.issued").exists()
    issue(case, reviewer)
    with pytest.raises(ValidationError, match="already has a permit"):
        issue(case, reviewer)
    assert Permit.objects.count() == 1


def test_no_permit_for_draft_withdrawn_or_unscreened_case(rules, officer, reviewer):
    draft = make_case(officer)
    with pytest.raises(ValidationError, match="draft"):
        permit_issue(case=draft, actor=reviewer, valid_from=date(2026, 1, 1))
    case_withdraw(case=draft, actor=officer)
    draft.refresh_from_db()
    with pytest.raises(ValidationError, match="withdrawn"):
        permit_issue(case=draft, actor=reviewer, valid_from=date(2026, 1, 1))
    assert not Permit.objects.exists()


def test_database_refuses_negative_limits_and_shipments(case, reviewer, officer):
    permit = issue(case, reviewer)
    item = permit.items.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitItem.objects.filter(pk=item.pk).update(quantity_limit=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PermitItem.objects.filter(pk=item.pk).update(value_limit=Decimal("-0.01"))
    shipment = Shipment.objects.create(permit=permit, shipped_on=date(2026, 2, 1), recorded_by=officer)
    for quantity, value in ((Decimal("-1"), Decimal("1")), (Decimal("1"), Decimal("-1"))):
        with pytest.raises(IntegrityError), transaction.atomic():
            ShipmentLine.objects.create(shipment=shipment, permit_item=item, quantity=quantity, value=value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Permit.objects.filter(pk=permit.pk).update(valid_to=date(2025, 12, 31))
