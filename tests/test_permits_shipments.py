"""Shipments drawn against a permit: limits, tolerance, validity, exhaustion, who may record, and the balance
under concurrent recording."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from audit.models import AuditEvent
from permits.models import Permit, PermitStatus, Shipment, ShipmentLine
from permits.selectors import permit_balance, permit_usage_history
from permits.services import shipment_record
from permits.workflow import permit_transition

from .permit_helpers import issue, load_rules, screened_case, set_tolerance

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)


@pytest.fixture
def permit(db, officer, reviewer, django_capture_on_commit_callbacks):
    # Two lines: 100 kg for 10,000.00 USD and 50.5 kg for 2,500.50 USD.
    load_rules()
    return issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)


def lines_of(permit):
    return list(permit.items.order_by("position"))


def ship(permit, officer, *amounts, on=DAY):
    """amounts: (quantity, value) per permit line, in order; None leaves the line out."""
    lines = [
        {"item": item.pk, "quantity": q, "value": v}
        for item, pair in zip(lines_of(permit), amounts, strict=False)
        if pair is not None
        for q, v in [pair]
    ]
    return shipment_record(permit=permit, actor=officer, shipped_on=on, lines=lines)


def refused(permit, officer, *amounts, on=DAY) -> dict:
    before = (Shipment.objects.count(), ShipmentLine.objects.count(), AuditEvent.objects.count())
    with pytest.raises(ValidationError) as exc:
        ship(permit, officer, *amounts, on=on)
    assert (Shipment.objects.count(), ShipmentLine.objects.count(), AuditEvent.objects.count()) == before
    return exc.value.message_dict


def test_shipments_write_off_the_balance_in_decimal(permit, officer):
    ship(permit, officer, ("40.25", "4000.10"), ("0.1", "0.10"))
    ship(permit, officer, ("0.2", "0.20"), None, on=date(2026, 4, 1))
    first, second = permit_balance(permit=permit)
    assert (first.quantity_used, first.value_used) == (Decimal("40.45"), Decimal("4000.30"))
    assert (first.quantity_remaining, first.value_remaining) == (Decimal("59.55"), Decimal("5999.70"))
    assert (second.quantity_remaining, second.value_remaining) == (Decimal("50.4"), Decimal("2500.40"))
    history = list(permit_usage_history(permit=permit))
    assert [s.shipped_on for s in history] == [DAY, date(2026, 4, 1)]
    assert [(line.quantity, line.value) for line in history[0].lines.all()] == [
        (Decimal("40.25"), Decimal("4000.10")),
        (Decimal("0.1"), Decimal("0.10")),
    ]
    assert history[0].recorded_by == officer
    event = AuditEvent.objects.filter(verb="permit.shipment_recorded").first()
    assert event.actor == officer and event.after["lines"][0]["quantity"] == "40.25"


def test_exceeding_the_balance_is_refused_and_changes_nothing(permit, officer):
    ship(permit, officer, ("60", "6000.00"))
    errors = refused(permit, officer, ("40.000001", "100.00"), ("1", "3000.00"))
    assert errors == {
        "lines[0].quantity": ["Exceeds the balance: 40 kg remain of 100."],
        "lines[1].value": ["Exceeds the balance: 2500.5 USD remain of 2500.5."],
    }
    ship(permit, officer, ("40", "100.00"))  # exactly the rest is fine
    assert permit_balance(permit=permit)[0].quantity_remaining == 0


def test_tolerance_boundary_exactly_at_and_just_above(permit, officer):
    set_tolerance("0.1")
    assert refused(permit, officer, ("110.000001", "1.00")) == {
        "lines[0].quantity": ["Exceeds the balance: 100 kg remain of 100 (plus a tolerance of 10 %)."]
    }
    assert "lines[0].value" in refused(permit, officer, ("1", "11000.01"))
    ship(permit, officer, ("110", "11000.00"))
    assert permit_balance(permit=permit)[0].quantity_remaining == Decimal("-10")


def test_no_tolerance_without_one_in_the_licence_type(permit, officer):
    assert "lines[0].quantity" in refused(permit, officer, ("100.000001", "1.00"))


def test_outside_validity_is_refused(permit, officer):
    for day in (date(2025, 12, 31), date(2027, 1, 1)):
        assert refused(permit, officer, ("1", "1.00"), on=day) == {
            "shipped_on": ["The permit is valid from 2026-01-01 to 2026-12-31."]
        }
    ship(permit, officer, ("1", "1.00"), on=date(2026, 1, 1))
    ship(permit, officer, ("1", "1.00"), on=date(2026, 12, 31))


def test_bad_lines_answer_by_path(permit, officer, other_officer, reviewer, django_capture_on_commit_callbacks):
    other = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    first = lines_of(permit)[0]
    before = Shipment.objects.count()
    with pytest.raises(ValidationError) as exc:
        shipment_record(
            permit=permit,
            actor=officer,
            shipped_on=DAY,
            lines=[
                {"item": lines_of(other)[0].pk, "quantity": "1", "value": "1"},
                {"item": first.pk, "quantity": 1.5, "value": "1.001"},
                {"item": first.pk, "quantity": "1", "value": "1"},
                {"item": lines_of(permit)[1].pk, "quantity": "-1", "value": "abc"},
                {"item": "x", "quantity": "0", "value": "0"},
            ],
        )
    assert exc.value.message_dict == {
        "lines[0].item": ["Not a line of this permit."],
        "lines[1].quantity": ['Give the amount as a decimal number, e.g. "12.5".'],
        "lines[1].value": ["At most 2 decimal places."],
        "lines[2].item": ["This permit line appears twice in the shipment."],
        "lines[3].quantity": ["An amount cannot be negative."],
        "lines[3].value": ["'abc' is not a number."],
        "lines[4].item": ["Not a line of this permit."],
    }
    assert refused(permit, officer) == {"lines": ["A shipment has at least one line."]}
    assert refused(permit, officer, ("0", "0")) == {"lines[0].quantity": ["A line ships some quantity or value."]}
    assert Shipment.objects.count() == before


def test_only_the_holders_officers_record(permit, other_officer, reviewer, auditor):
    for actor in (other_officer, reviewer, auditor):
        with pytest.raises(PermissionDenied):
            ship(permit, actor, ("1", "1.00"))
    assert not Shipment.objects.exists()


def test_no_shipments_unless_issued(permit, officer, reviewer):
    permit_transition(permit=permit, action="suspend", actor=reviewer, reason="Checking the end user.")
    with pytest.raises(ValidationError, match="is suspended; shipments cannot be recorded"):
        ship(permit, officer, ("1", "1.00"))
    permit_transition(permit=permit, action="reinstate", actor=reviewer, reason="Cleared.")
    ship(permit, officer, ("1", "1.00"))


def test_a_shipment_made_while_the_permit_was_valid_is_recorded_after_it_expired(permit, officer):
    """The shipment date decides, not the day it is recorded: an expired permit takes the shipments made within
    its validity, and none after it; using up its lines leaves it expired."""
    from django.test import Client

    from permits.workflow import permits_expire_due

    assert permits_expire_due(today=permit.valid_to + timedelta(days=2)) == [permit.number]
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
    errors = refused(permit, officer, ("1", "1.00"), on=permit.valid_to + timedelta(days=1))
    assert "valid from" in errors["shipped_on"][0]
    ship(permit, officer, ("100", "10000.00"), ("50.5", "2500.50"), on=permit.valid_to)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED and all(b.used_up for b in permit_balance(permit=permit))
    # The holder's permit page offers the form for it.
    client = Client()
    client.force_login(officer)
    page = client.get(f"/permits/{permit.number}/").content.decode()
    assert f'href="/permits/{permit.number}/shipments/new/"' in page


def test_permit_is_exhausted_when_every_line_is_used_up(permit, officer):
    ship(permit, officer, ("100", "9000.00"))  # the first line's quantity is used up
    assert Permit.objects.get(pk=permit.pk).status == PermitStatus.ISSUED
    ship(permit, officer, None, ("10", "2500.50"))  # the second line's value is used up too
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXHAUSTED and permit.version == 2
    event = AuditEvent.objects.get(verb="permit.exhaust")
    assert event.actor is None and event.after == {"status": "exhausted"}
    with pytest.raises(ValidationError, match="is exhausted"):
        ship(permit, officer, None, ("1", "0.00"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_shipments_at_once_never_exceed_the_limit(officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    permit = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    item = lines_of(permit)[0]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def record():
        try:
            barrier.wait()
            shipment_record(
                permit=permit, actor=officer, shipped_on=DAY, lines=[{"item": item.pk, "quantity": "60", "value": "1"}]
            )
            outcomes.append("recorded")
        except ValidationError as exc:
            outcomes.append(exc.message_dict["lines[0].quantity"][0])
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["Exceeds the balance: 40 kg remain of 100.", "recorded"]
    assert permit_balance(permit=permit)[0].quantity_used == Decimal("60")
