"""Writes of requests for information. Status changes of the case go through `cases.workflow.case_transition`
(request_information, answer_information, cancel_information_request, close); the checks here are those the
transition table cannot know: which reviewer holds the case, which request is open, what an answer carries."""

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record
from cases.models import Case, Document
from cases.selectors import user_may_edit_case
from cases.uploads import CheckedUpload, UploadRejected, check_upload
from cases.vocab import CaseStatus, DocumentType
from cases.workflow import CaseChanged, TransitionNotAllowed, case_transition
from timelimits.services import calendar_dates, default_calendar_code
from timelimits.workdays import add_working_days

from . import notify
from .models import InformationRequest, InformationResponse, ResponseAttachment, StandardQuestion

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10


class RequestClosed(Exception):
    """The request is no longer open (answered, cancelled or lapsed); nothing was written."""


@dataclass(frozen=True)
class Attachment:
    upload: UploadedFile
    doc_type: str = DocumentType.OTHER


def reminder_working_days() -> int:
    return getattr(settings, "RFIS_REMINDER_WORKING_DAYS", 3)


def lapse_grace_days() -> int:
    return getattr(settings, "RFIS_LAPSE_GRACE_DAYS", 10)


def default_deadline(*, today: date) -> date:
    return today + timedelta(days=getattr(settings, "RFIS_DEFAULT_DEADLINE_DAYS", 20))


def reviewer_holding_id(case: Case) -> int | None:
    from review.models import CaseAssignment

    return CaseAssignment.objects.filter(case=case).values_list("assigned_to_id", flat=True).first()


def user_may_open(*, user: Any, case: Case) -> bool:
    """Whether to offer this user the request form: the reviewer holding a case in review."""
    return (
        case.status == CaseStatus.IN_REVIEW
        and reviewer_holding_id(case) == user.pk
        and user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)
    )


def user_may_cancel(*, user: Any, request: InformationRequest) -> bool:
    return request.is_open and (reviewer_holding_id(request.case) == user.pk or user.has_role(Role.SENIOR_REVIEWER))


def _check_holder(*, case: Case, actor: Any, senior_may: bool = False) -> None:
    if actor is None or not actor.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER):
        raise PermissionDenied(_("Only reviewers may ask for, or withdraw, requests for information."))
    if reviewer_holding_id(case) == actor.pk:
        return
    if senior_may and actor.has_role(Role.SENIOR_REVIEWER):
        return
    raise PermissionDenied(_("Only the reviewer holding the case may do that."))


def _clean_open(*, questions: str, standard_codes: list[str], deadline: Any, today: date) -> list[StandardQuestion]:
    errors: dict[str, list[str]] = {}
    codes = list(dict.fromkeys(standard_codes))
    found = {q.code: q for q in StandardQuestion.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in found or not found[c].active]
    if unknown:
        errors["standard_codes"] = [f"Unknown or retired standard question: {', '.join(unknown)}."]
    if not questions.strip() and not codes:
        errors["questions"] = [_("Ask at least one question: write it, or choose a standard one.")]
    if not isinstance(deadline, date):
        errors["deadline"] = [_("Give the date by which the applicant must answer.")]
    elif deadline <= today:
        errors["deadline"] = [_("The deadline must be after today.")]
    if errors:
        raise ValidationError(errors)
    return [found[c] for c in codes]


@transaction.atomic
def information_request_open(
    *,
    case: Case,
    actor: User,
    questions: str,
    standard_codes: list[str] | tuple = (),
    deadline: date,
    today: date | None = None,
) -> InformationRequest:
    """The reviewer holding a case in review asks the applicant for information; the case waits for the answer
    (information_requested) and its review clock stops. The officers are e-mailed once this commits."""
    today = today or timezone.localdate()
    _check_holder(case=case, actor=actor)
    if case.status != CaseStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s: information can be requested only in review.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    chosen = _clean_open(questions=questions, standard_codes=list(standard_codes), deadline=deadline, today=today)
    case = case_transition(
        case=case, action="request_information", actor=actor, message=f"Answer due by {deadline.isoformat()}."
    )
    request = InformationRequest.objects.create(
        case=case,
        asked_by=actor,
        questions=questions.strip(),
        standard_questions=[{"code": q.code, "title": q.title, "text": q.text} for q in chosen],
        deadline=deadline,
    )
    audit_record(
        actor=actor,
        verb="information_request.opened",
        target=request,
        case=case,
        organisation=case.organisation,
        after={
            "questions": request.questions,
            "standard_questions": [q.code for q in chosen],
            "deadline": deadline.isoformat(),
        },
    )
    notify.notify_opened(request)
    return request


def _close(request: InformationRequest, *, status: str, actor: Any, note: str = "") -> None:
    """Close an open request with a conditional UPDATE: of an answer, a cancellation and a lapse racing for the
    same request exactly one wins; the others get RequestClosed and write nothing."""
    now = timezone.now()
    closed = InformationRequest.objects.filter(pk=request.pk, status=InformationRequest.Status.OPEN).update(
        status=status, closed_at=now, closed_by=actor, closing_note=note
    )
    if closed != 1:
        raise RequestClosed(_("This request is no longer open: it was answered, cancelled or lapsed meanwhile."))
    request.status, request.closed_at, request.closed_by, request.closing_note = status, now, actor, note


def _check_attachments(attachments: list[Attachment]) -> list[CheckedUpload]:
    """Every upload checked (size, type sniffed from the bytes, name) before anything is stored; errors keyed by
    the attachment's place in the list."""
    errors: dict[str, list[str]] = {}
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": [_("Attach at most %(limit)s files to one answer.") % {"limit": MAX_ATTACHMENTS}]}
        )
    checked = []
    for index, attachment in enumerate(attachments):
        if attachment.doc_type not in DocumentType.values:
            errors[f"attachments[{index}].doc_type"] = [f"Choose one of: {', '.join(DocumentType.values)}."]
        try:
            checked.append(check_upload(attachment.upload))
        except UploadRejected as rejected:
            errors[f"attachments[{index}].file"] = [str(rejected)]
    if errors:
        raise ValidationError(errors)
    return checked


def _store_documents(
    *, case: Case, actor: User, attachments: list[Attachment], checked: list[CheckedUpload]
) -> list[Document]:
    documents = []
    for attachment, upload in zip(attachments, checked, strict=True):
        document = Document(
            case=case,
            doc_type=attachment.doc_type,
            original_name=upload.original_name,
            content_type=upload.content_type,
            size=upload.size,
            sha256=upload.sha256,
            uploaded_by=actor,
        )
        document.full_clean(exclude=["file", "case", "uploaded_by"])
        document.file.save(document.storage_suffix, attachment.upload, save=False)
        documents.append(document)
    return documents


@transaction.atomic
def information_request_answer(
    *, request: InformationRequest, actor: User, text: str, attachments: list[Attachment] | tuple = ()
) -> InformationResponse:
    """An officer of the case's organisation answers an open request, with text and documents; the case goes
    back to review, the clock runs again with the paused working days added, the reviewer is e-mailed."""
    case = request.case
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may answer its requests."))
    attachments = list(attachments)
    errors: dict[str, list[str]] = {}
    if not text.strip():
        errors["text"] = [_("Write your answer (attach documents as well where they help).")]
    try:
        checked = _check_attachments(attachments)
    except ValidationError as invalid:
        errors.update(invalid.message_dict)
    if errors:
        raise ValidationError(errors)
    _close(request, status=InformationRequest.Status.ANSWERED, actor=actor)
    case = case_transition(case=case, action="answer_information", actor=actor)
    request.case = case
    response = InformationResponse.objects.create(request=request, answered_by=actor, text=text.strip())
    documents = _store_documents(case=case, actor=actor, attachments=attachments, checked=checked)
    try:
        for document in documents:
            document.save()
        ResponseAttachment.objects.bulk_create([ResponseAttachment(response=response, document=d) for d in documents])
        audit_record(
            actor=actor,
            verb="information_request.answered",
            target=request,
            case=case,
            organisation=case.organisation,
            after={
                "text": response.text,
                "documents": [{"name": d.original_name, "size": d.size, "sha256": d.sha256} for d in documents],
            },
        )
    except Exception:
        # The rows were not written: leave no stored file behind them.
        for document in documents:
            document.file.storage.delete(document.file.name)
        raise
    notify.notify_answered(request)
    return response


@transaction.atomic
def information_request_cancel(*, request: InformationRequest, actor: User, reason: str = "") -> InformationRequest:
    """The reviewer holding the case (or a senior reviewer) withdraws an open request; the review goes on."""
    case = request.case
    _check_holder(case=case, actor=actor, senior_may=True)
    _close(request, status=InformationRequest.Status.CANCELLED, actor=actor, note=reason.strip())
    request.case = case_transition(case=case, action="cancel_information_request", actor=actor, message=reason)
    audit_record(
        actor=actor,
        verb="information_request.cancelled",
        target=request,
        case=request.case,
        organisation=case.organisation,
        message=reason,
    )
    notify.notify_cancelled(request)
    return request


def close_requests_with_case(case: Case, transition: Any, actor: Any) -> None:
    """The `on_transition` listener: a case withdrawn or closed while a request is open (by the applicant, or a
    senior reviewer) takes the request with it, so no reminder or lapse is ever sent for a case that is over."""
    if transition.target not in (CaseStatus.WITHDRAWN, CaseStatus.CLOSED):
        return
    for request in InformationRequest.objects.filter(case=case, status=InformationRequest.Status.OPEN):
        note = f"The case was {case.get_status_display().lower()}."
        _close(request, status=InformationRequest.Status.CANCELLED, actor=actor, note=note)
        audit_record(
            actor=actor,
            verb="information_request.cancelled",
            target=request,
            case=case,
            organisation=case.organisation,
            message=note,
        )


def _calendar() -> dict:
    from timelimits.models import HolidayCalendar

    return calendar_dates(HolidayCalendar.objects.filter(code=default_calendar_code()).first())


def reminder_due_on(request: InformationRequest, *, dates: dict) -> date:
    return add_working_days(request.deadline, -reminder_working_days(), **dates)


@transaction.atomic
def information_requests_remind(*, today: date) -> int:
    """One reminder per open request, RFIS_REMINDER_WORKING_DAYS working days before its deadline (or on the
    first run after that day). Idempotent: the conditional UPDATE on reminder_sent_at IS NULL sends each
    reminder once, however often (or however concurrently) this runs. Returns how many were sent."""
    dates = _calendar()
    # A superset of the requests due a reminder: whatever day of the week today is, a deadline within the next
    # N working days; the exact day is checked per request below.
    horizon = add_working_days(today, reminder_working_days(), **dates)
    candidates = InformationRequest.objects.filter(
        status=InformationRequest.Status.OPEN,
        reminder_sent_at__isnull=True,
        deadline__lte=horizon,
        case__status=CaseStatus.INFORMATION_REQUESTED,
    ).select_related("case")
    sent = 0
    for request in candidates:
        if reminder_due_on(request, dates=dates) > today:
            continue
        won = InformationRequest.objects.filter(
            pk=request.pk, status=InformationRequest.Status.OPEN, reminder_sent_at__isnull=True
        ).update(reminder_sent_at=timezone.now())
        if won == 1:
            notify.notify_reminder(request)
            sent += 1
    return sent


def information_requests_lapse(*, today: date) -> int:
    """Open requests whose deadline passed more than RFIS_LAPSE_GRACE_DAYS days ago lapse, and their cases
    close (by the system). Each request in its own transaction: one that cannot close (the case changed
    meanwhile) is logged and left for the next run, and does not hold the others back. Returns how many lapsed."""
    last_deadline = today - timedelta(days=lapse_grace_days() + 1)
    ids = list(
        InformationRequest.objects.filter(
            status=InformationRequest.Status.OPEN, deadline__lte=last_deadline
        ).values_list("pk", flat=True)
    )
    lapsed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                request = InformationRequest.objects.select_related("case__organisation").get(pk=pk)
                _close(request, status=InformationRequest.Status.LAPSED, actor=None)
                message = (
                    f"Closed: the information requested on {request.opened_at.date().isoformat()} was due by "
                    f"{request.deadline.isoformat()} and was not received within {lapse_grace_days()} days after."
                )
                request.case = case_transition(case=request.case, action="close", actor=None, message=message)
                audit_record(
                    actor=None,
                    verb="information_request.lapsed",
                    target=request,
                    case=request.case,
                    organisation=request.case.organisation,
                    message=message,
                )
                notify.notify_lapsed(request)
        except (RequestClosed, TransitionNotAllowed, CaseChanged) as skipped:
            logger.warning("Request %s did not lapse: %s", pk, skipped)
            continue
        lapsed += 1
    return lapsed
