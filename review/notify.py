"""E-mails about the review: to a reviewer given a case, to senior reviewers asked to countersign, and to the
applicant's officers when their case is decided.

Each function renders its message now, inside the transaction that makes the change (so it reads the state
being written), and sends it only once that transaction commits: a change that rolls back sends nothing. Sending
is `robust`: a mail server that is down is logged, and never turns a decision that was stored into an error.

Where they are called from, one place per event:
- a decision and a request for countersignature are status changes, which all go through
  `cases.workflow.case_transition`; `notify_after_transition` listens there, so whichever service reaches the
  decision (a reviewer deciding alone, a senior countersigning, anything added later) the applicant hears once;
- giving a case to another reviewer is not a status change, and happens only in `case_reassign`, which calls
  `notify_assigned` itself."""

import logging
from typing import Any

from django.urls import reverse

from accounts.mail import mail_after_commit
from accounts.models import User
from accounts.roles import Role
from cases.models import Case
from cases.vocab import CaseStatus

logger = logging.getLogger(__name__)


def _send_after_commit(*, template: str, context: dict[str, Any], recipients: list[User]) -> None:
    context = {**context, "case_path": reverse("cases:detail", kwargs={"reference": context["case"].reference})}
    mail_after_commit(template=f"review/email/{template}", context=context, recipients=recipients)


def notify_assigned(*, case: Case, assignee: User, by: User) -> None:
    """To a reviewer a senior reviewer has given a case to."""
    _send_after_commit(
        template="assigned", context={"case": case, "assignee": assignee, "by": by}, recipients=[assignee]
    )


def senior_reviewers(*, excluding: Any = None) -> list[User]:
    users = User.objects.filter(groups__name=Role.SENIOR_REVIEWER, is_active=True).distinct()
    if excluding is not None:
        users = users.exclude(pk=excluding.pk)
    return list(users)


def notify_countersignature_requested(*, case: Case) -> None:
    """To every senior reviewer but the one who recommended: any of them may countersign."""
    from .services import pending_recommendation

    recommendation = pending_recommendation(case)
    if recommendation is None:
        return
    _send_after_commit(
        template="countersign",
        context={"case": case, "recommendation": recommendation},
        recipients=senior_reviewers(excluding=recommendation.reviewer),
    )


def applicant_officers(case: Case) -> list[User]:
    return list(
        User.objects.filter(
            organisation_id=case.organisation_id,
            is_active=True,
            groups__name__in=[Role.OFFICER, Role.ORG_ADMIN],
        ).distinct()
    )


def notify_decision(*, case: Case) -> None:
    """To the officers of the case's organisation: the decision as the applicant reads it (standard reasons'
    texts and the text written for them; never the reviewer's internal reasoning)."""
    from .selectors import decision_for_applicant

    decision = decision_for_applicant(case)
    if decision is None:
        return
    _send_after_commit(
        template="decision",
        context={"case": case, "decision": decision, "approved": case.status == CaseStatus.APPROVED},
        recipients=applicant_officers(case),
    )


def notify_after_transition(case: Case, transition: Any, actor: Any) -> None:
    if transition.action == "refer_for_countersignature":
        notify_countersignature_requested(case=case)
    elif transition.target in (CaseStatus.APPROVED, CaseStatus.REFUSED):
        notify_decision(case=case)
