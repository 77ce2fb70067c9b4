"""Re-check pages: runs (with a progress bar that htmx refreshes), findings with filters, a finding with its
rules and citations, triage, and the rule admins' form to start a manual run. Staff read; rule admins start;
reviewers triage; everyone else gets 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import Role
from permits.workflow import PermitChanged, TransitionNotAllowed
from screening.models import Outcome
from screening.selectors import NoRuleSet

from . import selectors
from .forms import FindingFilterForm, ManualRunForm, TriageForm
from .models import Finding
from .services import TRIAGE_ROLES, FindingAlreadyTriaged, actions_for, finding_triage, recheck_manual

OUTCOME_LABELS = dict(Outcome.choices)
ACTION_LABELS = {
    "keep": _("Keep the permit"),
    "suspend": _("Suspend the permit"),
    "revoke": _("Revoke the permit"),
    "reapply": _("Ask the holder to apply again"),
    "noted": _("Noted"),
}


@login_required
def run_list(request):
    runs = selectors.run_list_for_user(user=request.user)
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "rechecks/run_list.html",
        {"page": page, "may_start": request.user.has_role(Role.RULE_ADMIN)},
    )


@login_required
def run_detail(request, pk: int):
    run = selectors.run_get_for_user(user=request.user, pk=pk)
    findings = Finding.objects.filter(run=run).select_related("permit__organisation").order_by("direction", "id")
    page = Paginator(findings, 50).get_page(request.GET.get("page"))
    return render(request, "rechecks/run_detail.html", {"run": run, "page": page, "labels": OUTCOME_LABELS})


@login_required
def run_progress(request, pk: int):
    run = selectors.run_get_for_user(user=request.user, pk=pk)
    return render(request, "rechecks/_progress.html", {"run": run})


@login_required
def run_new(request):
    if not selectors.may_read(request.user):
        raise Http404
    if not request.user.has_role(Role.RULE_ADMIN):
        raise PermissionDenied(_("Only rule admins start re-checks."))
    form = ManualRunForm(request.POST or None, initial={"decisive_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = recheck_manual(
                actor=request.user,
                decisive_date=data["decisive_date"],
                old_version=data["old_version"],
                new_version=data["new_version"],
                organisations=[o.pk for o in data["organisations"]],
                control_codes=data["control_codes"],
                countries=data["countries"],
            )
        except NoRuleSet as error:
            form.add_error("new_version", str(error))
        else:
            messages.success(request, _("Re-check %(id)s started.") % {"id": run.pk})
            return redirect("rechecks:run", pk=run.pk)
    return render(request, "rechecks/run_new.html", {"form": form})


@login_required
def finding_list(request):
    # With no filter chosen (a first visit, or only a page number) the page is the triage queue: open stricter
    # findings.
    if any(key in request.GET for key in FindingFilterForm.base_fields):
        form = FindingFilterForm(request.GET)
        filters = form.cleaned_data if form.is_valid() else {}
    else:
        filters = {"direction": Finding.Direction.STRICTER, "status": Finding.Status.OPEN}
        form = FindingFilterForm(initial=filters)
    findings = selectors.finding_list_for_user(
        user=request.user,
        direction=filters.get("direction") or "",
        status=filters.get("status") or "",
        run=filters.get("run"),
        q=filters.get("q") or "",
    )
    page = Paginator(findings, 50).get_page(request.GET.get("page"))
    return render(request, "rechecks/finding_list.html", {"form": form, "page": page, "labels": OUTCOME_LABELS})


def _finding_page(request, finding, form=None, status=200):
    may_triage = request.user.has_role(*TRIAGE_ROLES)
    actions = [(a, ACTION_LABELS[a]) for a in actions_for(finding)] if may_triage else []
    return render(
        request,
        "rechecks/finding_detail.html",
        {"finding": finding, "actions": actions, "form": form or TriageForm(), "labels": OUTCOME_LABELS},
        status=status,
    )


@login_required
def finding_detail(request, pk: int):
    return _finding_page(request, selectors.finding_get_for_user(user=request.user, pk=pk))


@login_required
@require_POST
def finding_triage_view(request, pk: int):
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    if not request.user.has_role(*TRIAGE_ROLES):
        raise PermissionDenied(_("Only reviewers triage re-check findings."))
    form = TriageForm(request.POST)
    if not form.is_valid():
        return _finding_page(request, finding, form, status=400)
    try:
        finding_triage(
            finding=finding, actor=request.user, action=form.cleaned_data["action"], reason=form.cleaned_data["reason"]
        )
    except ValidationError as error:
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _finding_page(request, finding, form, status=400)
    except (FindingAlreadyTriaged, PermitChanged, TransitionNotAllowed) as error:
        messages.error(request, str(error))
        return redirect("rechecks:finding", pk=finding.pk)
    messages.success(request, _("Finding triaged."))
    return redirect("rechecks:finding", pk=finding.pk)
