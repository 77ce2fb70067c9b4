"""The officer's pages for cases. Thin: forms validate, services write, selectors read.

Every view starts from `case_get_for_user`, so a case of another organisation answers 404 on every URL, and
checks `user_may_edit_case` on the server before anything changes.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from audit.selectors import audit_events_for_case
from parties.selectors import potential_matches_for_case
from review.panel import review_context, review_timeline
from screening.selectors import determination_for_display, latest_screening
from search.forms import CaseSearchForm, SavedSearchForm
from search.pagination import CappedPaginator
from search.selectors import CaseSearchResults, saved_searches_for

from .completeness import case_check_completeness
from .forms import (
    CaseHeaderForm,
    ContentFormSet,
    DocumentForm,
    ElementFormSet,
    ItemFormSet,
    OwnerFormSet,
    PartyFormSet,
    VersionForm,
    WithdrawForm,
    error_summary,
    with_extra,
)
from .models import Case, Document
from .selectors import (
    case_get_for_user,
    case_items_data,
    case_parties_data,
    plain_value,
    user_may_edit_case,
)
from .services import (
    HEADER_FIELDS,
    CaseIncomplete,
    CaseNotEditable,
    case_add_document,
    case_copy,
    case_create,
    case_remove_document,
    case_save_draft,
    case_submit,
    case_withdraw,
)
from .uploads import UploadRejected
from .vocab import EndUseCategory
from .workflow import CaseChanged, TransitionNotAllowed, allowed_actions

CASES_PER_PAGE = 25
# How the case page's timeline words each audit event; events added by later features show their verb.
VERB_LABELS = {
    "case.created": gettext_lazy("created the case"),
    "case.edited": gettext_lazy("edited the case"),
    "case.document_added": gettext_lazy("added a document"),
    "case.document_removed": gettext_lazy("removed a document"),
    "case.submit": gettext_lazy("submitted the case"),
    "case.withdraw": gettext_lazy("withdrew the case"),
    "case.copied": gettext_lazy("created the case as a copy"),
    "case.screened": gettext_lazy("stored the screening's determination"),
    "case.screen": gettext_lazy("moved the case to screened"),
}
STALE_MESSAGE = gettext_lazy("This case was changed by someone else since you opened it. Nothing was saved.")


# --- helpers ---------------------------------------------------------------------------------------------------


def _case_for_change(request: HttpRequest, reference: str) -> Case:
    """The case, if this user may change it: 404 when they cannot see it, 403 when they may only read it."""
    case = case_get_for_user(user=request.user, reference=reference)
    if not user_may_edit_case(user=request.user, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may change it."))
    return case


def draft_only(view):
    """For the pages that change a draft (use under @login_required): a case that is no longer a draft sends
    the officer back to its read-only page."""

    @wraps(view)
    def wrapper(request, reference, *args, **kwargs):
        case = _case_for_change(request, reference)
        if not case.is_editable:
            messages.error(
                request,
                _("%(reference)s is %(status)s: only a draft can be changed.")
                % {"reference": case.reference, "status": case.get_status_display().lower()},
            )
            return redirect(case_url(case))
        return view(request, case, *args, **kwargs)

    return wrapper


def case_url(case: Case, name: str = "detail", **kwargs) -> str:
    return reverse(f"cases:{name}", kwargs={"reference": case.reference, **kwargs})


def _version(request: HttpRequest) -> int | None:
    form = VersionForm(request.POST)
    return form.cleaned_data["version"] if form.is_valid() else None


def _attach_validation_error(form, error: ValidationError) -> None:
    # A service's own validation (model full_clean) rarely fails after the form's, but when it does the message
    # belongs beside the field it names, or at the top of the form.
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rows(formset) -> list[dict]:
    return [form.service_data() for form in formset.kept_forms()]


# --- list, new, detail -----------------------------------------------------------------------------------------


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Search, filters and sorting from search.forms; the rows from search.selectors.case_search, which keeps to
    what the user may see. The same query string drives the CSV export and is what a saved search keeps."""
    form = CaseSearchForm(request.GET or None, user=request.user)
    cases = CaseSearchResults(user=request.user, **form.filters())
    page = CappedPaginator(cases, CASES_PER_PAGE).get_page(request.GET.get("page"))
    query = form.query_string()
    context = {
        "filter_form": form,
        "page": page,
        "may_create": request.user.is_officer,
        "query": query,
        "saved_searches": list(saved_searches_for(user=request.user)),
        "save_form": SavedSearchForm(initial={"query": query}),
    }
    # htmx asks for the results alone when a filter changes; the full page works the same without JavaScript.
    if request.headers.get("HX-Request") and not request.headers.get("HX-Boosted"):
        response = render(request, "cases/_case_results.html", context)
    else:
        response = render(request, "cases/case_list.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    if not request.user.is_officer:
        raise PermissionDenied(_("Only compliance officers file cases."))
    form = CaseHeaderForm(request.POST or None, prefix="case")
    if request.method == "POST" and form.is_valid():
        try:
            case = case_create(organisation=request.user.organisation, filed_by=request.user, data=form.service_data())
        except ValidationError as error:
            _attach_validation_error(form, error)
        else:
            messages.success(
                request, _("Draft %(reference)s created. Add its items and parties.") % {"reference": case.reference}
            )
            return redirect(case_url(case, "edit"))
    return render(request, "cases/case_new.html", {"form": form})


def _detail_context(request: HttpRequest, case: Case, **extra) -> dict:
    may_change = user_may_edit_case(user=request.user, case=case)
    allowed = {t.action for t in allowed_actions(case)}
    events = list(audit_events_for_case(case=case))
    for event in events:
        event.verb_label = VERB_LABELS.get(event.verb, event.verb)
    review_timeline(events, user=request.user)
    end_use_labels = dict(EndUseCategory.choices)
    items, parties = list(case.items.all()), list(case.parties.all())
    screening = latest_screening(case=case)
    return {
        "case": case,
        "screening": screening,
        "potential_matches": potential_matches_for_case(case=case, user=request.user),
        "determination": determination_for_display(screening.determination, items=items, parties=parties)
        if screening
        else None,
        "items": items,
        "parties": parties,
        "documents": list(case.documents.all()),
        "events": events,
        "end_use_labels": [end_use_labels.get(c, c) for c in case.end_use_categories or []],
        "problems": case_check_completeness(case) if case.is_editable else [],
        "may": {
            "edit": may_change and case.is_editable,
            "submit": may_change and "submit" in allowed,
            "withdraw": may_change and "withdraw" in allowed,
            "copy": may_change,
        },
        "withdraw_form": WithdrawForm(),
        # Notes, and the reviewer's panel for the authority's staff (review/panel.py).
        **review_context(request, case),
        **extra,
    }


@login_required
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_user(user=request.user, reference=reference)
    return render(request, "cases/case_detail.html", _detail_context(request, case))


# --- editing a draft -------------------------------------------------------------------------------------------


@login_required
@draft_only
def case_edit(request: HttpRequest, case: Case) -> HttpResponse:
    """Header, item lines and parties on one page. Saved together or not at all."""
    add = request.GET.get("add")
    item_formset = with_extra(ItemFormSet, 2 if add == "items" else 1)
    party_formset = with_extra(PartyFormSet, 2 if add == "parties" else 1)
    stale = False

    if request.method == "POST":
        header = CaseHeaderForm(request.POST, prefix="case")
        items = item_formset(request.POST, prefix="items")
        parties = party_formset(request.POST, prefix="parties")
        version = _version(request)
        # Evaluate every form, so all errors show at once.
        valid = [header.is_valid(), items.is_valid(), parties.is_valid()]
        if all(valid) and version is None:
            header.add_error(None, _("The page is missing the case's version. Reload it and try again."))
        elif all(valid):
            # Saving replaces the lines: each line that was already there keeps its composition, each party its
            # owners, which this page does not show.
            old_items = dict(zip((i.pk for i in case.items.all()), case_items_data(case), strict=True))
            old_parties = dict(zip((p.pk for p in case.parties.all()), case_parties_data(case), strict=True))
            data = header.service_data()
            data["items"] = [
                {
                    **form.service_data(),
                    "elements": old_items.get(form.cleaned_data.get("item_id"), {}).get("elements", []),
                    "content": old_items.get(form.cleaned_data.get("item_id"), {}).get("content", []),
                }
                for form in items.kept_forms()
            ]
            data["parties"] = [
                {
                    **form.service_data(),
                    "owners": old_parties.get(form.cleaned_data.get("party_id"), {}).get("owners", []),
                }
                for form in parties.kept_forms()
            ]
            try:
                case_save_draft(case=case, actor=request.user, data=data, expected_version=version)
            except CaseChanged:
                stale = True
            except ValidationError as error:
                _attach_validation_error(header, error)
            else:
                messages.success(request, _("Draft saved."))
                if "add_item" in request.POST:
                    return redirect(case_url(case, "edit") + "?add=items#items-end")
                if "add_party" in request.POST:
                    return redirect(case_url(case, "edit") + "?add=parties#parties-end")
                return redirect(case_url(case))
    else:
        header = CaseHeaderForm(prefix="case", initial={f: plain_value(getattr(case, f)) for f in HEADER_FIELDS})
        item_rows = case_items_data(case)
        party_rows = case_parties_data(case)
        items = item_formset(
            prefix="items",
            initial=[{**row, "item_id": item.pk} for row, item in zip(item_rows, case.items.all(), strict=True)],
        )
        parties = party_formset(
            prefix="parties",
            initial=[{**row, "party_id": p.pk} for row, p in zip(party_rows, case.parties.all(), strict=True)],
        )
        version = case.version

    return render(
        request,
        "cases/case_edit.html",
        {
            "case": case,
            "header": header,
            "items": items,
            "parties": parties,
            "version": case.version if version is None else version,
            "stale": stale,
            "error_summary": error_summary(forms=[header, *items.forms, *parties.forms], formsets=[items, parties]),
        },
        status=409 if stale else 200,
    )


def _line(rows: list, line: int):
    if not 1 <= line <= len(rows):
        raise Http404(_("No such line."))
    return rows[line - 1]


@login_required
@draft_only
def item_composition(request: HttpRequest, case: Case, line: int) -> HttpResponse:
    """One item's controlled elements and foreign content. Saving keeps every other line as it is."""
    item = _line(list(case.items.all()), line)
    add = request.GET.get("add")
    element_formset = with_extra(ElementFormSet, 2 if add == "elements" else 1)
    content_formset = with_extra(ContentFormSet, 2 if add == "content" else 1)
    stale = False
    if request.method == "POST":
        elements = element_formset(request.POST, prefix="elements")
        content = content_formset(request.POST, prefix="content")
        version = _version(request)
        valid = [elements.is_valid(), content.is_valid()]
        if all(valid) and version is not None:
            data = case_items_data(case)
            data[line - 1]["elements"] = _rows(elements)
            data[line - 1]["content"] = _rows(content)
            try:
                case_save_draft(case=case, actor=request.user, data={"items": data}, expected_version=version)
            except CaseChanged:
                stale = True
            else:
                messages.success(request, _("Composition of line %(line)s saved.") % {"line": line})
                here = case_url(case, "composition", line=line)
                if "add_element" in request.POST:
                    return redirect(here + "?add=elements#elements-end")
                if "add_content" in request.POST:
                    return redirect(here + "?add=content#content-end")
                return redirect(case_url(case) + f"#item-{line}")
    else:
        rows = case_items_data(case)[line - 1]
        elements = element_formset(prefix="elements", initial=rows["elements"])
        content = content_formset(prefix="content", initial=rows["content"])
        version = case.version
    return render(
        request,
        "cases/item_composition.html",
        {
            "case": case,
            "item": item,
            "line": line,
            "elements": elements,
            "content": content,
            "version": case.version if version is None else version,
            "stale": stale,
            "error_summary": error_summary(forms=[*elements.forms, *content.forms], formsets=[elements, content]),
        },
        status=409 if stale else 200,
    )


@login_required
@draft_only
def party_owners(request: HttpRequest, case: Case, line: int) -> HttpResponse:
    """The declared owners of one party, with their shares."""
    party = _line(list(case.parties.all()), line)
    owner_formset = with_extra(OwnerFormSet, 2 if request.GET.get("add") == "owners" else 1)
    stale = False
    if request.method == "POST":
        owners = owner_formset(request.POST, prefix="owners")
        version = _version(request)
        if owners.is_valid() and version is not None:
            data = case_parties_data(case)
            data[line - 1]["owners"] = _rows(owners)
            try:
                case_save_draft(case=case, actor=request.user, data={"parties": data}, expected_version=version)
            except CaseChanged:
                stale = True
            else:
                messages.success(request, _("Owners of %(name)s saved.") % {"name": party.name})
                if "add_owner" in request.POST:
                    return redirect(case_url(case, "owners", line=line) + "?add=owners#owners-end")
                return redirect(case_url(case) + f"#party-{line}")
    else:
        owners = owner_formset(prefix="owners", initial=case_parties_data(case)[line - 1]["owners"])
        version = case.version
    return render(
        request,
        "cases/party_owners.html",
        {
            "case": case,
            "party": party,
            "line": line,
            "owners": owners,
            "version": case.version if version is None else version,
            "stale": stale,
            "error_summary": error_summary(forms=owners.forms, formsets=[owners]),
        },
        status=409 if stale else 200,
    )


# --- documents -------------------------------------------------------------------------------------------------


@login_required
@draft_only
def document_upload(request: HttpRequest, case: Case) -> HttpResponse:
    form = DocumentForm(request.POST or None, request.FILES or None, initial={"doc_type": request.GET.get("type")})
    if request.method == "POST" and form.is_valid():
        try:
            document = case_add_document(
                case=case, actor=request.user, doc_type=form.cleaned_data["doc_type"], upload=form.cleaned_data["file"]
            )
        except UploadRejected as error:
            form.add_error("file", str(error))
        except ValidationError as error:
            _attach_validation_error(form, error)
        else:
            messages.success(request, _("%(name)s uploaded.") % {"name": document.original_name})
            return redirect(case_url(case) + "#documents")
    return render(request, "cases/document_upload.html", {"case": case, "form": form})


@login_required
def document_download(request: HttpRequest, reference: str, document_id: int) -> FileResponse:
    """Documents are served only through here, after the case's access check; never from MEDIA_URL."""
    case = case_get_for_user(user=request.user, reference=reference, facts=False)
    document = get_object_or_404(Document, case=case, pk=document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("The stored file is missing.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    # The browser must save the file, never render it in our origin, whatever it contains.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
@draft_only
def document_remove(request: HttpRequest, case: Case, document_id: int) -> HttpResponse:
    document = get_object_or_404(Document, case=case, pk=document_id)
    case_remove_document(case=case, actor=request.user, document=document)
    messages.success(request, _("%(name)s removed.") % {"name": document.original_name})
    return redirect(case_url(case) + "#documents")


# --- status changes --------------------------------------------------------------------------------------------


def _stale(request: HttpRequest, case: Case) -> bool:
    """The action was taken on a page showing an older version of the case than the one stored."""
    version = _version(request)
    return version is not None and version != case.version


@login_required
@require_POST
def case_submit_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_change(request, reference)
    if _stale(request, case):
        messages.error(request, STALE_MESSAGE)
        return redirect(case_url(case))
    try:
        case = case_submit(case=case, actor=request.user)
    except CaseIncomplete as error:
        # Show every problem, on the case page itself; the case stays a draft.
        context = _detail_context(request, case, submit_problems=error.problems)
        return render(request, "cases/case_detail.html", context)
    except (TransitionNotAllowed, CaseNotEditable) as error:
        messages.error(request, str(error))
    except CaseChanged:
        messages.error(request, STALE_MESSAGE)
    else:
        messages.success(request, _("%(reference)s submitted.") % {"reference": case.reference})
    return redirect(case_url(case))


@login_required
@require_POST
def case_withdraw_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_change(request, reference)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/case_detail.html", _detail_context(request, case, withdraw_form=form))
    if _stale(request, case):
        messages.error(request, STALE_MESSAGE)
        return redirect(case_url(case))
    try:
        case = case_withdraw(case=case, actor=request.user, reason=form.cleaned_data["reason"])
    except TransitionNotAllowed as error:
        messages.error(request, str(error))
    except CaseChanged:
        messages.error(request, STALE_MESSAGE)
    else:
        messages.success(request, _("%(reference)s withdrawn.") % {"reference": case.reference})
    return redirect(case_url(case))


@login_required
@require_POST
def case_copy_view(request: HttpRequest, reference: str) -> HttpResponse:
    case = _case_for_change(request, reference)
    copy = case_copy(case=case, actor=request.user)
    messages.success(
        request,
        _("%(new)s is a new draft copied from %(old)s. Check every fact before you submit it.")
        % {"new": copy.reference, "old": case.reference},
    )
    return redirect(case_url(copy))
