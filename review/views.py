"""Reviewers' pages: their home, a queue, the actions on a case, notes, and the routing rules.

Thin, like the case pages: every case is read through `case_get_for_user` (404 to outsiders), the services
check who may do what and refuse, and the refusals become answers here. A refusal of permission is the 403
page; a case in the wrong state, claimed by someone else or changed since the page was built is a message on
the case page with nothing written; bad input re-renders the case page with the errors beside the fields."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import CASE_READER_ROLES, Role
from cases.forms import VersionForm
from cases.models import Case
from cases.selectors import case_get_for_user
from cases.views import STALE_MESSAGE, _detail_context
from cases.workflow import CaseChanged, TransitionNotAllowed

from .forms import CloseForm, CountersignForm, NoteForm, ReasonForm, ReassignForm, RecommendForm, RoutingRuleForm
from .models import Queue, RoutingRule
from .selectors import (
    awaiting_countersignature,
    cases_due,
    clocks_installed,
    my_open_cases,
    open_party_matches,
    open_stricter_findings,
    queue_page_cases,
    queues_with_counts,
    with_urgency,
)
from .services import (
    AlreadyClaimed,
    case_claim,
    case_close,
    case_countersign,
    case_note_add,
    case_reassign,
    case_recommend,
    case_release,
    may_edit_routing,
    routing_rule_save,
    routing_rule_set_active,
)

CASES_PER_PAGE = 25


def _require_reader(request: HttpRequest) -> None:
    if not request.user.role_set & CASE_READER_ROLES:
        raise PermissionDenied(_("These pages are for the licensing authority's reviewers."))


def _require_reviewer(request: HttpRequest) -> None:
    if not request.user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER):
        raise PermissionDenied(_("Only reviewers may act on a case."))


def _case_url(case: Case) -> str:
    return reverse("cases:detail", kwargs={"reference": case.reference})


def _back(request: HttpRequest, case: Case) -> HttpResponse:
    """Where an action returns to: the page that asked (e.g. a queue) if it is ours, else the case."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(_case_url(case))


def _attach(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rerender(request: HttpRequest, reference: str, **forms: Form) -> HttpResponse:
    # The page again, with the facts, and the form that failed in place of its blank one: nothing was written.
    case = case_get_for_user(user=request.user, reference=reference)
    return render(request, "cases/case_detail.html", _detail_context(request, case, **forms))


def _case_action(
    request: HttpRequest,
    reference: str,
    *,
    perform: Callable[[Case, dict[str, Any]], Any],
    done: str,
    form_class: type[Form] | None = None,
    form_name: str = "",
    reviewer_only: bool = True,
) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference, facts=False)
    if reviewer_only:
        _require_reviewer(request)
    version = VersionForm(request.POST)
    if not version.is_valid() or version.cleaned_data["version"] != case.version:
        # Built from an older case (or not from a page at all): the user must see what changed before acting.
        messages.error(request, STALE_MESSAGE)
        return redirect(_case_url(case))
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _rerender(request, reference, **{form_name: form})
    try:
        perform(case, form.cleaned_data if form is not None else {})
    except (TransitionNotAllowed, AlreadyClaimed) as error:
        messages.error(request, str(error))
        return redirect(_case_url(case))
    except CaseChanged:
        messages.error(request, STALE_MESSAGE)
        return redirect(_case_url(case))
    except ValidationError as error:
        if form is None:
            messages.error(request, " ".join(error.messages))
            return redirect(_case_url(case))
        _attach(form, error)
        return _rerender(request, reference, **{form_name: form})
    messages.success(request, done % {"reference": case.reference})
    return _back(request, case)


# --- actions on a case ------------------------------------------------------------------------------------------


@login_required
@require_POST
def claim(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_claim(case=case, actor=request.user),
        done=_("You hold %(reference)s now."),
    )


@login_required
@require_POST
def release(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_release(case=case, actor=request.user, reason=data["reason"]),
        done=_("%(reference)s is back in its queue."),
        form_class=ReasonForm,
        form_name="release_form",
    )


@login_required
@require_POST
def reassign(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_reassign(
            case=case, actor=request.user, assignee=data["assignee"], reason=data["reason"]
        ),
        done=_("%(reference)s reassigned."),
        form_class=ReassignForm,
        form_name="reassign_form",
    )


@login_required
@require_POST
def recommend(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_recommend(
            case=case,
            actor=request.user,
            recommendation=data["recommendation"],
            reasons=data["reasons"],
            conditions=data["conditions"],
            refusal_reasons=list(data["refusal_reasons"]),
            applicant_text=data["applicant_text"],
        ),
        done=_("Recommendation on %(reference)s recorded."),
        form_class=RecommendForm,
        form_name="recommend_form",
    )


@login_required
@require_POST
def countersign(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_countersign(
            case=case, actor=request.user, agree=data["agree"], note=data["note"]
        ),
        done=_("Countersignature on %(reference)s recorded."),
        form_class=CountersignForm,
        form_name="countersign_form",
    )


@login_required
@require_POST
def close(request: HttpRequest, reference: str) -> HttpResponse:
    return _case_action(
        request,
        reference,
        perform=lambda case, data: case_close(case=case, actor=request.user, reason=data["reason"]),
        done=_("%(reference)s closed."),
        form_class=CloseForm,
        form_name="close_form",
    )


@login_required
@require_POST
def note_add(request: HttpRequest, reference: str) -> HttpResponse:
    """Reviewers and the case's own officers write notes; the service says who may write which kind."""
    case = case_get_for_user(user=request.user, reference=reference, facts=False)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            case_note_add(case=case, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Note added."))
            return redirect(_case_url(case) + "#notes")
    return _rerender(request, reference, note_form=form)


# --- pages ------------------------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    user, today = request.user, timezone.localdate()
    matches, match_count = open_party_matches(user=user)
    context = {
        "today": today,
        "clocks": clocks_installed(),
        "my_cases": my_open_cases(user=user, today=today),
        "queues": queues_with_counts(user=user),
        "due": cases_due(user=user, today=today),
        "countersign": awaiting_countersignature(user=user, today=today),
        "is_senior": user.has_role(Role.SENIOR_REVIEWER),
        "matches": matches,
        "match_count": match_count,
        "may_edit_routing": may_edit_routing(user),
        "stricter_findings": open_stricter_findings(user=user),
    }
    return render(request, "review/home.html", context)


@login_required
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    _require_reader(request)
    the_queue = get_object_or_404(Queue, slug=slug)
    sort = request.GET.get("sort", "due")
    unassigned = request.GET.get("show") == "unassigned"
    cases = queue_page_cases(user=request.user, queue=the_queue, sort=sort, unassigned_only=unassigned)
    page = Paginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = with_urgency(page.object_list, today=timezone.localdate())
    senior = request.user.has_role(Role.SENIOR_REVIEWER)
    may_claim = request.user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER) and (senior or not the_queue.senior_only)
    context = {
        "queue": the_queue,
        "page": page,
        "sort": sort,
        "unassigned": unassigned,
        "clocks": clocks_installed(),
        "may_claim": may_claim,
    }
    return render(request, "review/queue.html", context)


def _require_routing_editor(request: HttpRequest) -> None:
    if not may_edit_routing(request.user):
        raise PermissionDenied(_("Only senior reviewers change routing rules."))


@login_required
def routing_rules(request: HttpRequest) -> HttpResponse:
    _require_routing_editor(request)
    form = RoutingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            routing_rule_save(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Routing rule added."))
            return redirect("review:routing")
    rules = RoutingRule.objects.select_related("queue").order_by("-active", "priority", "id")
    return render(request, "review/routing_rules.html", {"rules": rules, "form": form})


@login_required
def routing_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_routing_editor(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    # The form works on a copy: a rule the service refuses must not be shown half-changed.
    form = RoutingRuleForm(request.POST or None, instance=RoutingRule.objects.get(pk=pk))
    if request.method == "POST" and form.is_valid():
        try:
            routing_rule_save(actor=request.user, rule=rule, data=form.cleaned_data)
        except ValidationError as error:
            _attach(form, error)
        else:
            messages.success(request, _("Routing rule saved."))
            return redirect("review:routing")
    return render(request, "review/routing_rule_edit.html", {"rule": rule, "form": form})


@login_required
@require_POST
def routing_rule_active(request: HttpRequest, pk: int) -> HttpResponse:
    _require_routing_editor(request)
    rule = get_object_or_404(RoutingRule, pk=pk)
    active = request.POST.get("active") == "1"
    routing_rule_set_active(actor=request.user, rule=rule, active=active)
    messages.success(request, _("Routing rule activated.") if active else _("Routing rule deactivated."))
    return redirect("review:routing")
