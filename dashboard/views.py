"""The officer's start page: where their organisation's cases stand, what waits for them, and their permits."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from .selectors import (
    BAR_MAX,
    cases_by_status,
    chart_height,
    drafts_waiting,
    information_requests_waiting,
    permits_in_force,
)


@login_required
def officer_dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_officer:
        # The authority's staff have start pages of their own; home sends each person to theirs.
        return redirect("home")
    today = timezone.localdate()
    bars = cases_by_status(user=user)
    return render(
        request,
        "dashboard/officer.html",
        {
            "bars": bars,
            "total": sum(bar.count for bar in bars),
            "chart_height": chart_height(bars),
            "bar_max": BAR_MAX,
            "drafts": list(drafts_waiting(user=user)),
            "information_requests": information_requests_waiting(user=user),
            "permits": permits_in_force(user=user, today=today),
            "today": today,
        },
    )
