"""Approval issues the permit, in the approval's own transaction: the journey from approval to an exhausted
permit, the countersigner as issuer, and permit_issue refusing anything but an approved case."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from cases.vocab import CaseStatus
from permits.models import Permit, PermitStatus
from permits.selectors import permit_balance
from permits.services import permit_issue, shipment_record
from review.models import Recommendation
from review.services import case_claim, case_recommend
from screening.models import LicenceType, Screening

from .factories import item_data, make_user
from .permit_helpers import approve, approved_without_permit, load_rules, screened_case

pytestmark = pytest.mark.django_db

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}


@pytest.fixture
def rules(db):
    load_rules()


@pytest.fixture
def case(rules, officer, django_capture_on_commit_callbacks):
    return screened_case(officer, django_capture_on_commit_callbacks)


def test_approval_issues_the_permit_and_shipments_use_it_up(case, officer, reviewer):
    case = approve(case, reviewer, conditions="Ship by sea only.")
    assert case.status == CaseStatus.APPROVED
    permit = Permit.objects.get(case=case)
    recommendation = Recommendation.objects.get(case=case)
    screening = Screening.objects.get(case=case)
    # Valid from the day of the decision, for the licence type's maximum (365 days for a Chinese single licence).
    decided = timezone.localdate(recommendation.created_at)
    assert (permit.valid_from, permit.valid_to) == (decided, decided + timedelta(days=364))
    assert permit.rule_set == screening.version and permit.licence_type.max_validity_days == 365
    assert permit.issued_by == reviewer and permit.status == PermitStatus.ISSUED
    assert permit.conditions_text == "Ship by sea only." and permit.standard_conditions == []
    assert [(i.quantity_limit, i.value_limit) for i in permit.items.all()] == [
        (Decimal("100"), Decimal("10000.00")),
        (Decimal("50.5"), Decimal("2500.50")),
    ]
    issued = AuditEvent.objects.get(verb="permit.issued", case=case)
    assert issued.actor == reviewer
    # The approval and the issue are one transaction, in that order.
    assert AuditEvent.objects.get(verb="case.approve", case=case).pk < issued.pk

    first, second = permit.items.all()
    shipment_record(
        permit=permit,
        actor=officer,
        shipped_on=permit.valid_from,
        lines=[{"item": first.pk, "quantity": "60", "value": "6000.00"}],
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.ISSUED
    shipment_record(
        permit=permit,
        actor=officer,
        shipped_on=permit.valid_from + timedelta(days=10),
        lines=[
            {"item": first.pk, "quantity": "40", "value": "4000.00"},
            {"item": second.pk, "quantity": "50.5", "value": "2500.50"},
        ],
    )
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXHAUSTED
    assert all(b.used_up for b in permit_balance(permit=permit))


def test_countersigned_approval_is_issued_by_the_countersigner(
    rules, officer, senior_reviewer, django_capture_on_commit_callbacks
):
    second = make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior2")
    case = screened_case(officer, django_capture_on_commit_callbacks, **GALLIUM_TO_US)
    case = approve(case, senior_reviewer, conditions="No re-export.", countersigner=second)
    permit = Permit.objects.get(case=case)
    row = Recommendation.objects.get(case=case)
    assert row.countersigned_by == second
    assert permit.issued_by == second and permit.issued_by != row.reviewer
    assert permit.valid_from == timezone.localdate(row.countersigned_at)
    assert permit.conditions_text == "No re-export."


def test_refusal_issues_nothing(rules, officer, reviewer, senior_reviewer, django_capture_on_commit_callbacks):
    from review.models import RefusalReason
    from review.services import case_countersign

    case = case_claim(case=screened_case(officer, django_capture_on_commit_callbacks), actor=reviewer)
    row = case_recommend(
        case=case,
        actor=reviewer,
        recommendation="refuse",
        reasons="No.",
        refusal_reasons=[RefusalReason.objects.filter(active=True).first()],
        applicant_text="Refused.",
    )
    row = case_countersign(case=row.case, actor=senior_reviewer, agree=True)
    assert row.case.status == CaseStatus.REFUSED
    assert not Permit.objects.exists()
    with pytest.raises(ValidationError, match="only for an approved case; .* is refused"):
        permit_issue(case=row.case, actor=reviewer, valid_from=timezone.localdate())


def test_permit_issue_refuses_a_case_that_is_not_approved(case, reviewer):
    for status in (CaseStatus.SCREENED, CaseStatus.IN_REVIEW):
        if status == CaseStatus.IN_REVIEW:
            case = case_claim(case=case, actor=reviewer)
        with pytest.raises(ValidationError, match=f"only for an approved case; {case.reference} is"):
            permit_issue(case=case, actor=reviewer, valid_from=timezone.localdate())
    assert not Permit.objects.exists()
    assert not AuditEvent.objects.filter(verb="permit.issued").exists()


def test_the_system_may_not_issue(case):
    approved_without_permit(case)
    with pytest.raises(PermissionDenied):
        permit_issue(case=case, actor=None, valid_from=timezone.localdate())
    assert not Permit.objects.exists()


def test_an_approval_whose_permit_cannot_be_issued_does_not_happen(case, reviewer):
    # The rule set names no licence type for the case: no permit can be issued, so the approval is refused too.
    LicenceType.objects.filter(code="single").update(code="withdrawn-type")
    case = case_claim(case=case, actor=reviewer)
    with pytest.raises(ValidationError, match="defines no licence type"):
        case_recommend(case=case, actor=reviewer, recommendation="approve", reasons="Fine.")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
    assert not Recommendation.objects.filter(case=case).exists()
    assert not Permit.objects.exists()
    assert not AuditEvent.objects.filter(case=case, verb="case.approve").exists()


def test_expiry_runs_daily_on_the_beat_schedule():
    from django.conf import settings

    from config.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["permits-expire"]
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {5}


def test_expiry_task_expires_a_permit_issued_on_approval(case, reviewer):
    from permits.tasks import expire_permits
    from permits.workflow import permits_expire_due

    permit = Permit.objects.get(case=approve(case, reviewer))
    assert expire_permits.delay().get() == []
    assert permits_expire_due(today=permit.valid_to + timedelta(days=1)) == [permit.number]
    permit.refresh_from_db()
    assert permit.status == PermitStatus.EXPIRED
