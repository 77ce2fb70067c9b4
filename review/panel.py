"""What the case page shows of the review: the notes this user may read and write, and for the authority's staff
the reviewer's panel with the actions open to this user now.

An action is offered when the transition table allows it to this user from the case's status
(`cases.workflow.allowed_actions`) and the review's own rules agree (who holds the case, senior-only queues, four
eyes). Offering is a courtesy: every action's service checks the same again and refuses whatever is POSTed."""

from typing import Any

from django.apps import apps
from django.http import HttpRequest
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.roles import CASE_READER_ROLES, Role
from cases.models import Case
from cases.workflow import allowed_actions

from .forms import CloseForm, CountersignForm, NoteForm, ReasonForm, ReassignForm, RecommendForm
from .models import CaseNote, Recommendation
from .selectors import assignment_of, case_notes_for, clock_for
from .services import REASSIGNABLE, may_write_note

RFI_INCLUDE = "rfis/_case_requests.html"


def _optional_template(name: str) -> str | None:
    # Requests for information come from their own app, which an installation may not have yet.
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


def _information_requests(case: Case) -> list:
    if not apps.is_installed("rfis") or case.status == "draft":
        return []
    from rfis.selectors import information_requests_for_case

    return information_requests_for_case(case=case)


# How the case page's timeline words the review's events.
REVIEW_VERB_LABELS = {
    "case.routed": gettext_lazy("routed the case to a queue"),
    "case.claim": gettext_lazy("claimed the case for review"),
    "case.release": gettext_lazy("released the case to its queue"),
    "case.reassigned": gettext_lazy("reassigned the case"),
    "case.recommended": gettext_lazy("recommended a decision"),
    "case.refer_for_countersignature": gettext_lazy("referred the case for countersignature"),
    "case.countersigned": gettext_lazy("countersigned"),
    "case.countersign_approve": gettext_lazy("approved the case"),
    "case.countersign_refuse": gettext_lazy("refused the case"),
    "case.return_to_review": gettext_lazy("returned the case to review"),
    "case.approve": gettext_lazy("approved the case"),
    "case.refuse": gettext_lazy("refused the case"),
    "case.close": gettext_lazy("closed the case"),
    "case.note_added": gettext_lazy("added a note"),
}
# Events whose message is the authority's internal working (a reviewer's reasons, a countersigner's note, why a
# case changed hands): the applicant reads the decision through its own texts, never these.
INTERNAL_MESSAGES = frozenset(
    {
        "case.routed",
        "case.claim",
        "case.release",
        "case.reassigned",
        "case.recommended",
        "case.refer_for_countersignature",
        "case.countersigned",
        "case.countersign_approve",
        "case.countersign_refuse",
        "case.return_to_review",
        "case.approve",
        "case.refuse",
    }
)


def review_timeline(events: list, *, user: Any) -> list:
    """Word the review's events on the case page's timeline, and keep their internal messages from anyone
    outside the authority's staff."""
    staff = bool(user.role_set & CASE_READER_ROLES)
    for event in events:
        if event.verb in REVIEW_VERB_LABELS:
            event.verb_label = REVIEW_VERB_LABELS[event.verb]
        if not staff and event.verb in INTERNAL_MESSAGES:
            event.message = ""
    return events


def review_may(*, user: Any, case: Case, assignment: Any, pending: Recommendation | None) -> dict[str, bool]:
    allowed = {t.action for t in allowed_actions(case, user)}
    senior = user.has_role(Role.SENIOR_REVIEWER)
    holder_id = assignment.assigned_to_id if assignment else None
    holds = holder_id is not None and holder_id == user.pk
    senior_only = bool(assignment and assignment.queue and assignment.queue.senior_only)
    return {
        "claim": "claim" in allowed and holder_id is None and (senior or not senior_only),
        "release": "release" in allowed and holder_id is not None and (holds or senior),
        "reassign": senior and case.status in REASSIGNABLE,
        "request_information": "request_information" in allowed and holds,
        "recommend": "refer_for_countersignature" in allowed and holds,
        # Four eyes: the recommending reviewer is never offered the countersignature.
        "countersign": "countersign_approve" in allowed and pending is not None and pending.reviewer_id != user.pk,
        "close": "close" in allowed,
    }


def review_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Context for the case page's notes and reviewer's panel. Forms given as extra context by a view that
    re-renders the page with errors replace these blank ones."""
    user = request.user
    officer = user.is_officer and user.organisation_id == case.organisation_id
    writes_notes = may_write_note(user=user, case=case, visibility=CaseNote.Visibility.APPLICANT)
    context: dict[str, Any] = {
        "notes": list(case_notes_for(case=case, user=user)),
        "note_form": NoteForm(officer=officer and not user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER))
        if writes_notes and case.status != "draft"
        else None,
        "rfi_include": _optional_template(RFI_INCLUDE),
        "information_requests": _information_requests(case),
        "review": None,
    }
    if not user.role_set & CASE_READER_ROLES or case.status == "draft":
        return context
    assignment = assignment_of(case)
    recommendations = list(
        case.recommendations.select_related("reviewer", "countersigned_by").prefetch_related("refusal_reasons")
    )
    # The newest recommendation still waiting for a countersignature, as `pending_recommendation` reads it, taken
    # from the list the panel shows anyway (same order) rather than asked for again.
    pending = next((r for r in recommendations if r.needs_countersignature and r.countersigned_by_id is None), None)
    clock = clock_for(case)
    today = timezone.localdate()
    may = review_may(user=user, case=case, assignment=assignment, pending=pending)
    context["review"] = {
        "assignment": assignment,
        "pending": pending,
        "own_pending": pending is not None and pending.reviewer_id == user.pk,
        "may": may,
        "any": any(may.values()),
        "clock": clock,
        "urgency": clock.urgency(today) if clock else None,
        "recommendations": recommendations,
    }
    context.update(
        recommend_form=RecommendForm(),
        countersign_form=CountersignForm(),
        release_form=ReasonForm(),
        reassign_form=ReassignForm(),
        close_form=CloseForm(),
    )
    return context
