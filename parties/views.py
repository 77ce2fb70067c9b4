"""Reviewers' pages for restricted-party hits on a case."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import Role
from cases.selectors import case_get_for_user

from .forms import DispositionForm
from .models import ListEntry, PotentialMatch
from .services import DispositionRefused, potential_match_dispose


@login_required
def potential_match(request: HttpRequest, reference: str, match_id: int) -> HttpResponse:
    """The hit beside the listed entry's details, and the reviewer's decision on it."""
    case = case_get_for_user(user=request.user, reference=reference, facts=False)
    if not request.user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER, Role.AUDITOR):
        # Officers see the screening outcome on their case, not the reviewers' work on list hits.
        raise PermissionDenied
    match = get_object_or_404(
        PotentialMatch.objects.select_related("restricted_list", "list_version", "disposition__decided_by"),
        case=case,
        pk=match_id,
    )
    entry = ListEntry.objects.filter(version=match.list_version, entry_id=match.entry_id).first()
    may_decide = match.status == PotentialMatch.Status.OPEN and request.user.has_role(
        Role.REVIEWER, Role.SENIOR_REVIEWER
    )
    form = DispositionForm(request.POST or None)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        if form.is_valid():
            try:
                potential_match_dispose(
                    match=match,
                    actor=request.user,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
            except DispositionRefused as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Decision recorded for %(name)s.") % {"name": match.party_name})
                return redirect(reverse("cases:detail", kwargs={"reference": case.reference}) + "#party-matches")
    return render(
        request,
        "parties/potential_match.html",
        {"case": case, "match": match, "entry": entry, "form": form, "may_decide": may_decide},
    )
