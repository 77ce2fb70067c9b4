"""E-mails about requests for information. Rendered inside the transaction that makes the change (so they read
the state being written) and sent only once it commits: a change that rolls back sends nothing. Sending is
`robust`: a mail server that is down is logged and never undoes a request that was stored."""

from typing import Any

from django.urls import reverse

from accounts.mail import mail_after_commit
from accounts.models import User
from accounts.roles import Role
from cases.models import Case

from .models import InformationRequest


def applicant_officers(case: Case) -> list[User]:
    return list(
        User.objects.filter(
            organisation_id=case.organisation_id, is_active=True, groups__name__in=[Role.OFFICER, Role.ORG_ADMIN]
        ).distinct()
    )


def reviewer_holding(case: Case) -> User | None:
    from review.models import CaseAssignment

    assignment = CaseAssignment.objects.filter(case=case).select_related("assigned_to").first()
    return assignment.assigned_to if assignment else None


def _send_after_commit(*, template: str, request: InformationRequest, recipients: list[User], **extra: Any) -> None:
    path = reverse("rfis:detail", kwargs={"reference": request.case.reference, "pk": request.pk})
    context = {"request": request, "case": request.case, "request_path": path, **extra}
    mail_after_commit(template=f"rfis/email/{template}", context=context, recipients=recipients)


def notify_opened(request: InformationRequest) -> None:
    _send_after_commit(template="opened", request=request, recipients=applicant_officers(request.case))


def notify_reminder(request: InformationRequest) -> None:
    _send_after_commit(template="reminder", request=request, recipients=applicant_officers(request.case))


def notify_cancelled(request: InformationRequest) -> None:
    _send_after_commit(template="cancelled", request=request, recipients=applicant_officers(request.case))


def notify_lapsed(request: InformationRequest) -> None:
    _send_after_commit(template="lapsed", request=request, recipients=applicant_officers(request.case))


def notify_answered(request: InformationRequest) -> None:
    reviewer = reviewer_holding(request.case)
    _send_after_commit(template="answered", request=request, recipients=[reviewer] if reviewer else [])
