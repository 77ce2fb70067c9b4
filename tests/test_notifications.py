"""E-mails of the review: who gets them, what they say, and that they leave only once the change commits."""

import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from accounts.roles import Role
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from review.models import RefusalReason
from review.services import case_claim, case_countersign, case_reassign, case_recommend

from .factories import item_data, make_case, make_user

pytestmark = pytest.mark.django_db

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}
INTERNAL = "Internal reasoning: the buyer's parent is under watch."
FOR_APPLICANT = "The end-use statement names a different product from the contract."


@pytest.fixture
def screened(officer, django_capture_on_commit_callbacks):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())

    def make(**overrides) -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            case = case_submit(case=make_case(officer, **overrides), actor=officer)
        case.refresh_from_db()
        mail.outbox.clear()
        return case

    return make


@pytest.fixture
def second_senior(db):
    return make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior2")


@pytest.fixture
def org_admin(org):
    return make_user(Role.ORG_ADMIN, organisation=org, username="orgadmin")


def to(*users) -> list[list[str]]:
    return sorted([u.email] for u in users)


def sent_to() -> list[list[str]]:
    return sorted(m.to for m in mail.outbox)


def refuse(case, actor):
    return case_recommend(
        case=case,
        actor=actor,
        recommendation="refuse",
        reasons=INTERNAL,
        refusal_reasons=[RefusalReason.objects.get(code="end-user-not-credible")],
        applicant_text=FOR_APPLICANT,
    )


def test_assignment_mails_the_assignee_after_commit(
    screened, senior_reviewer, reviewer, django_capture_on_commit_callbacks
):
    case = screened()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case_reassign(case=case, actor=senior_reviewer, assignee=reviewer)
    assert mail.outbox == []  # not before the commit
    for callback in callbacks:
        callback()
    assert sent_to() == to(reviewer)
    assert case.reference in mail.outbox[0].subject and "assigned to you" in mail.outbox[0].subject


def test_a_senior_taking_a_case_themselves_mails_nobody(screened, senior_reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_reassign(case=screened(), actor=senior_reviewer, assignee=senior_reviewer)
    assert mail.outbox == []


def test_claiming_for_oneself_mails_nobody(screened, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case_claim(case=screened(), actor=reviewer)
    assert mail.outbox == []


def test_countersignature_request_mails_other_seniors_only(
    screened, senior_reviewer, second_senior, reviewer, officer, django_capture_on_commit_callbacks
):
    case = case_claim(case=screened(**GALLIUM_TO_US), actor=senior_reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        refuse(case, senior_reviewer)
    # The recommending senior cannot countersign their own recommendation, and plain reviewers cannot at all.
    assert sent_to() == to(second_senior)
    assert "awaits countersignature" in mail.outbox[0].subject


def test_refusal_mails_the_applicants_officers_with_what_they_may_read(
    screened, reviewer, senior_reviewer, officer, org_admin, other_officer, django_capture_on_commit_callbacks
):
    case = case_claim(case=screened(), actor=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        row = refuse(case, reviewer)
    assert sent_to() == to(senior_reviewer)  # the referral, not a decision yet
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case_countersign(case=row.case, actor=senior_reviewer, agree=True)
    assert sent_to() == to(officer, org_admin)
    message = mail.outbox[0]
    assert "refused" in message.subject
    reason = RefusalReason.objects.get(code="end-user-not-credible")
    assert reason.text in message.body and FOR_APPLICANT in message.body
    assert INTERNAL not in message.body
    assert "&#x27;" not in message.body and "&amp;" not in message.body  # plain text, not HTML-escaped


def test_approval_alone_mails_the_officers_with_conditions(
    screened, reviewer, officer, django_capture_on_commit_callbacks
):
    case = case_claim(case=screened(), actor=reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        case_recommend(
            case=case,
            actor=reviewer,
            recommendation="approve_with_conditions",
            reasons="Known buyer.",
            conditions="No re-export without consent.",
        )
    assert sent_to() == to(officer)
    assert "approved" in mail.outbox[0].subject and "No re-export without consent." in mail.outbox[0].body


def test_returning_to_review_decides_nothing_and_mails_nobody(
    screened, reviewer, senior_reviewer, django_capture_on_commit_callbacks
):
    case = case_claim(case=screened(), actor=reviewer)
    row = refuse(case, reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        case_countersign(case=row.case, actor=senior_reviewer, agree=False, note="Ask for the contract first.")
    assert mail.outbox == []


def test_a_decision_that_rolls_back_sends_nothing(screened, reviewer, django_capture_on_commit_callbacks):
    case = case_claim(case=screened(), actor=reviewer)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        case_recommend(case=case, actor=reviewer, recommendation="approve", reasons="Fine.")
        raise RuntimeError("something after the decision failed")
    assert callbacks == [] and mail.outbox == []
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_REVIEW
