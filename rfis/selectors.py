"""Reads of requests for information. Who may see them: the officers of the case's organisation and the
authority's reviewers; everyone else gets the 404 an unknown case gets (auditors read the audit trail)."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role
from cases.models import Case
from cases.selectors import case_get_for_user, user_may_edit_case

from .models import InformationRequest, ResponseAttachment, StandardQuestion


def user_may_see_requests(*, user: User, case: Case) -> bool:
    return user_may_edit_case(user=user, case=case) or user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)


def case_get_for_requests(*, user: User, reference: str) -> Case:
    """The case, if this user may see its requests; 404 otherwise, as for a case that does not exist."""
    case = case_get_for_user(user=user, reference=reference, facts=False)
    if not user_may_see_requests(user=user, case=case):
        raise Http404("No such case.")
    return case


def _with_answers(qs: QuerySet[InformationRequest]) -> QuerySet[InformationRequest]:
    return qs.select_related("asked_by", "closed_by", "response__answered_by").prefetch_related(
        Prefetch("response__attachments", queryset=ResponseAttachment.objects.select_related("document"))
    )


def information_requests_for_case(*, case: Case) -> list[InformationRequest]:
    """A case's requests, newest first, with their answers and attachments, in a fixed number of queries."""
    return list(_with_answers(InformationRequest.objects.filter(case=case)))


def information_request_get_for_user(*, user: User, reference: str, pk: int) -> InformationRequest:
    case = case_get_for_requests(user=user, reference=reference)
    request = _with_answers(InformationRequest.objects.filter(case=case, pk=pk)).first()
    if request is None:
        raise Http404("No such request.")
    request.case = case
    return request


def information_request_get_by_id_for_user(*, user: User, pk: int) -> InformationRequest:
    """For the API's /information-requests/<id>: 404 unless the user may see the request's case."""
    reference = InformationRequest.objects.filter(pk=pk).values_list("case__reference", flat=True).first()
    if reference is None:
        raise Http404("No such request.")
    try:
        return information_request_get_for_user(user=user, reference=reference, pk=pk)
    except Http404:
        # Someone else's request answers exactly like one that does not exist: ids are sequential, and "No such
        # case." would tell an outsider that this id is taken.
        raise Http404("No such request.") from None


def standard_questions_active() -> QuerySet[StandardQuestion]:
    return StandardQuestion.objects.filter(active=True).order_by("title")
