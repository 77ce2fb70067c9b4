"""Recommendation, four-eyes countersignature and decision, through the services."""

import io
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from cases.workflow import CaseChanged, TransitionNotAllowed
from review.models import Recommendation, RefusalReason
from review.selectors import decision_for_applicant
from review.services import (
    case_claim,
    case_countersign,
    case_recommend,
    expected_decision,
    needs_countersignature,
)

from .factories import item_data, make_case, make_user

pytestmark = pytest.mark.django_db

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}


@pytest.fixture
def published(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


@pytest.fixture
def in_review(published, officer, django_capture_on_commit_callbacks):
    """A case screened and claimed by `by`."""

    def make(by, **overrides) -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            case = case_submit(case=make_case(officer, **overrides), actor=officer)
        case.refresh_from_db()
        return case_claim(case=case, actor=by)

    return make


@pytest.fixture
def second_senior(db):
    return make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior2")


def reason(code: str) -> RefusalReason:
    return RefusalReason.objects.get(code=code)


def recommend_refusal(
    case: Case,
    actor,
    ground: RefusalReason | str = "diversion-risk",
    *,
    reasons: str = "x",
    applicant_text: str = "Risk of diversion.",
) -> Recommendation:
    """`actor` recommends refusing `case` on one ground (a refusal reason or its code), with the text the applicant
    is to be told: a refusal complete in every field, so only the rule under test can stop it."""
    return case_recommend(
        case=case,
        actor=actor,
        recommendation="refuse",
        reasons=reasons,
        refusal_reasons=[reason(ground) if isinstance(ground, str) else ground],
        applicant_text=applicant_text,
    )


@pytest.mark.parametrize(
    ("outcome", "decision", "four_eyes"),
    [
        ("no_licence_required", "approve", False),
        ("licence_required", "approve", False),
        ("licence_required", "approve_with_conditions", False),
        ("licence_required", "refuse", True),  # departs from the outcome
        ("case_by_case", "approve", True),
        ("case_by_case", "refuse", True),
        ("presumption_of_denial", "refuse", True),
        ("presumption_of_denial", "approve", True),
        ("prohibited", "refuse", True),
        ("", "approve", True),  # never screened: never decided alone
    ],
)
def test_when_four_eyes_are_needed(outcome, decision, four_eyes):
    assert needs_countersignature(outcome=outcome, decision=decision) is four_eyes


def test_expected_decision_follows_the_ladder():
    assert expected_decision("licence_required") == "approve"
    assert expected_decision("case_by_case") is None
    assert expected_decision("prohibited") == "refuse"


def test_reviewer_approves_a_routine_case_alone(in_review, reviewer, officer):
    case = in_review(reviewer)
    row = case_recommend(case=case, actor=reviewer, recommendation="approve", reasons="Civil end use, known buyer.")
    assert row.case.status == CaseStatus.APPROVED and not row.needs_countersignature
    assert row.screening_outcome == "licence_required"
    assert AuditEvent.objects.get(case=case, verb="case.recommended").after["needs_countersignature"] is False
    assert AuditEvent.objects.get(case=case, verb="case.approve").actor == reviewer
    assert decision_for_applicant(row.case) == {
        "decision": "approved",
        "conditions": "",
        "refusal_reasons": [],
        "text": "",
    }


def test_refusal_departing_from_the_outcome_needs_a_senior(in_review, reviewer, senior_reviewer):
    case = in_review(reviewer)
    row = recommend_refusal(
        case,
        reviewer,
        "end-user-not-credible",
        reasons="End user's statement contradicts the contract.",
        applicant_text="The end-use statement names a different product from the contract.",
    )
    assert row.case.status == CaseStatus.AWAITING_COUNTERSIGNATURE and row.needs_countersignature
    row = case_countersign(case=row.case, actor=senior_reviewer, agree=True)
    assert row.case.status == CaseStatus.REFUSED
    assert row.countersigned_by == senior_reviewer and row.countersign_agreed is True
    told = decision_for_applicant(row.case)
    assert told["decision"] == "refused"
    assert told["refusal_reasons"][0]["code"] == "end-user-not-credible"
    assert told["text"].startswith("The end-use statement")
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    assert verbs[-4:] == [
        "case.recommended",
        "case.refer_for_countersignature",
        "case.countersigned",
        "case.countersign_refuse",
    ]


def test_grave_outcome_always_needs_a_second_senior(in_review, senior_reviewer, second_senior):
    case = in_review(senior_reviewer, **GALLIUM_TO_US)
    row = recommend_refusal(
        case,
        senior_reviewer,
        "international-obligations",
        reasons="Presumption of denial applies.",
        applicant_text="Gallium exports to this destination are not permitted.",
    )
    assert row.case.status == CaseStatus.AWAITING_COUNTERSIGNATURE
    # The same senior cannot countersign their own recommendation.
    with pytest.raises(PermissionDenied, match="Four eyes"):
        case_countersign(case=row.case, actor=senior_reviewer, agree=True)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_COUNTERSIGNATURE
    assert case_countersign(case=row.case, actor=second_senior, agree=True).case.status == CaseStatus.REFUSED


def test_a_reviewer_without_the_senior_role_cannot_countersign(in_review, reviewer, officer):
    case = in_review(reviewer)
    row = recommend_refusal(case, reviewer)
    for person in (make_user(Role.REVIEWER), officer, make_user(Role.AUDITOR)):
        with pytest.raises(PermissionDenied):
            case_countersign(case=row.case, actor=person, agree=True)
    row.refresh_from_db()
    assert row.countersigned_by is None
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_COUNTERSIGNATURE


def test_disagreement_returns_the_case_to_its_reviewer(in_review, reviewer, senior_reviewer):
    case = in_review(reviewer)
    row = recommend_refusal(case, reviewer)
    with pytest.raises(ValidationError) as error:
        case_countersign(case=row.case, actor=senior_reviewer, agree=False)
    assert "note" in error.value.message_dict
    row = case_countersign(case=row.case, actor=senior_reviewer, agree=False, note="The buyer is known; approve.")
    assert row.case.status == CaseStatus.IN_REVIEW and row.countersign_agreed is False
    again = case_recommend(case=row.case, actor=reviewer, recommendation="approve", reasons="As advised.")
    assert again.case.status == CaseStatus.APPROVED
    # The applicant is told the decision that took effect, not the one that was overruled.
    assert decision_for_applicant(again.case)["refusal_reasons"] == []


def test_approval_with_conditions_of_a_case_by_case_review_is_countersigned(in_review, senior_reviewer, second_senior):
    case = in_review(senior_reviewer, **GALLIUM_TO_US)
    row = case_recommend(
        case=case,
        actor=senior_reviewer,
        recommendation="approve_with_conditions",
        reasons="Humanitarian exception.",
        conditions="No re-export.",
    )
    row = case_countersign(case=row.case, actor=second_senior, agree=True, note="Agreed.")
    assert row.case.status == CaseStatus.APPROVED
    assert decision_for_applicant(row.case)["conditions"] == "No re-export."


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"recommendation": "maybe", "reasons": "x"}, "recommendation"),
        ({"recommendation": "approve", "reasons": "  "}, "reasons"),
        ({"recommendation": "approve_with_conditions", "reasons": "x"}, "conditions"),
        ({"recommendation": "refuse", "reasons": "x", "applicant_text": "No."}, "refusal_reasons"),
        ({"recommendation": "refuse", "reasons": "x", "refusal_reasons": "listed-party"}, "applicant_text"),
        ({"recommendation": "approve", "reasons": "x", "refusal_reasons": "listed-party"}, "refusal_reasons"),
    ],
)
def test_bad_recommendation_is_refused_with_field_errors_and_changes_nothing(in_review, reviewer, kwargs, field):
    case = in_review(reviewer)
    if "refusal_reasons" in kwargs:
        kwargs = {**kwargs, "refusal_reasons": [reason(kwargs["refusal_reasons"])]}
    with pytest.raises(ValidationError) as error:
        case_recommend(case=case, actor=reviewer, **kwargs)
    assert field in error.value.message_dict
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW
    assert not Recommendation.objects.filter(case=case).exists()


def test_inactive_refusal_reason_is_refused(in_review, reviewer):
    case = in_review(reviewer)
    old = reason("national-security")
    old.active = False
    old.save()
    with pytest.raises(ValidationError):
        recommend_refusal(case, reviewer, old)


def test_only_the_reviewer_holding_the_case_may_recommend(in_review, reviewer, officer, senior_reviewer):
    case = in_review(reviewer)
    for person in (make_user(Role.REVIEWER), senior_reviewer, officer):
        with pytest.raises(PermissionDenied):
            case_recommend(case=case, actor=person, recommendation="approve", reasons="x")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.IN_REVIEW


def test_no_recommendation_or_countersignature_outside_their_status(in_review, reviewer, senior_reviewer):
    case = in_review(reviewer)
    with pytest.raises(TransitionNotAllowed):
        case_countersign(case=case, actor=senior_reviewer, agree=True)
    decided = case_recommend(case=case, actor=reviewer, recommendation="approve", reasons="x").case
    with pytest.raises(TransitionNotAllowed):
        recommend_refusal(decided, reviewer)


def test_the_database_refuses_a_self_countersigned_recommendation(in_review, reviewer):
    case = in_review(reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Recommendation.objects.create(
            case=case, reviewer=reviewer, decision="approve", reasons="x", countersigned_by=reviewer
        )


@pytest.mark.django_db(transaction=True)
def test_two_seniors_countersigning_at_once_exactly_one_wins(
    published, officer, reviewer, django_capture_on_commit_callbacks
):
    if connection.vendor != "postgresql":
        pytest.skip("two connections acting at once need PostgreSQL's row locks")
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(case=make_case(officer), actor=officer)
    case.refresh_from_db()
    case = case_claim(case=case, actor=reviewer)
    # A transactional test before this one may have flushed the reasons the migrations seed: bring one back.
    diversion, _ = RefusalReason.objects.get_or_create(
        code="diversion-risk", defaults={"title": "Risk of diversion", "text": "Risk of diversion."}
    )
    case = recommend_refusal(case, reviewer, diversion).case
    seniors = [make_user(Role.REVIEWER, Role.SENIOR_REVIEWER) for _ in range(2)]
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def countersign(user, agree):
        try:
            mine = Case.objects.get(pk=case.pk)
            barrier.wait()
            case_countersign(case=mine, actor=user, agree=agree, note="no" if not agree else "")
            results[user.username] = "won"
        except CaseChanged as error:
            results[user.username] = type(error).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=countersign, args=(u, a)) for u, a in zip(seniors, (True, False), strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == ["CaseChanged", "won"]
    row = Recommendation.objects.get(case=case)
    winner = next(u for u in seniors if results[u.username] == "won")
    assert row.countersigned_by == winner
    expected = CaseStatus.REFUSED if row.countersign_agreed else CaseStatus.IN_REVIEW
    assert Case.objects.get(pk=case.pk).status == expected
    assert AuditEvent.objects.filter(case=case, verb="case.countersigned").count() == 1
