"""Saved searches and the CSV export of a case list. The list itself is cases.views.case_list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .export import case_csv_rows, chunked
from .forms import CaseSearchForm, SavedSearchForm
from .selectors import case_search, saved_search_get_for_user, saved_searches_for
from .services import saved_search_create, saved_search_delete


def _list_url(query: str) -> str:
    return reverse("cases:list") + (f"?{query}" if query else "")


@login_required
def saved_list(request: HttpRequest) -> HttpResponse:
    return render(request, "search/saved_list.html", {"saved": saved_searches_for(user=request.user)})


@login_required
@require_POST
def saved_create(request: HttpRequest) -> HttpResponse:
    form = SavedSearchForm(request.POST)
    query = request.POST.get("query", "")
    if form.is_valid():
        try:
            saved = saved_search_create(user=request.user, name=form.cleaned_data["name"], query=query)
        except ValidationError as error:
            for message in error.message_dict.get("name", error.messages):
                messages.error(request, message)
        else:
            messages.success(request, _("Search “%(name)s” saved.") % {"name": saved.name})
            return redirect(_list_url(saved.query))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(_list_url(query))


@login_required
def saved_open(request: HttpRequest, pk: int) -> HttpResponse:
    saved = saved_search_get_for_user(user=request.user, pk=pk)
    return redirect(_list_url(saved.query))


@login_required
@require_POST
def saved_delete(request: HttpRequest, pk: int) -> HttpResponse:
    saved = saved_search_get_for_user(user=request.user, pk=pk)
    saved_search_delete(user=request.user, saved=saved)
    messages.success(request, _("Search “%(name)s” deleted.") % {"name": saved.name})
    return redirect("search:saved")


@login_required
def case_export(request: HttpRequest) -> StreamingHttpResponse:
    """The case list as CSV, with the same filters and the same visibility as the page: an officer exports only
    their organisation's cases. Every matching case, not only one page."""
    form = CaseSearchForm(request.GET or None, user=request.user)
    cases = case_search(user=request.user, **form.filters())
    response = StreamingHttpResponse(
        case_csv_rows(chunked(cases), staff=request.user.reads_all_cases), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="cases-{stamp}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
