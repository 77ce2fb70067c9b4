"""Permit pages: the public verification page, and for signed-in users the register, a permit's page with its
balance and lifecycle actions, shipments, amendments and the PDF certificate.

Every page of one permit starts from `permit_get_for_user`, so another organisation's permit answers 404; the
services check who may act before anything changes."""

import csv

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .forms import ActionForm, AmendForm, RegisterFilterForm, ShipmentForm
from .selectors import (
    PermitRegisterPages,
    permit_balance,
    permit_chain,
    permit_get_for_user,
    permit_register,
    permit_register_rows,
    permit_usage_history,
    permit_verification_code,
    permit_verify,
)
from .services import SHIPMENTS_RECORDED_ON, permit_amendment_start, shipment_record
from .workflow import TRANSITIONS, PermitChanged, TransitionNotAllowed, allowed_actions, permit_transition

PERMITS_PER_PAGE = 25


@require_GET
def permit_verify_view(request, number: str):
    """Public: anyone holding a permit number may confirm it is genuine and in force, and check the verification
    code printed on its certificate. Nothing else is shown."""
    verification = permit_verify(number=number, code=request.GET.get("code"))
    return render(
        request,
        "permits/verify.html",
        {"verification": verification, "number": number, "code": request.GET.get("code", "")},
        status=200 if verification else 404,
    )


def _register(request: HttpRequest):
    form = RegisterFilterForm(request.GET or None, user=request.user)
    if form.is_bound:
        # A filter that does not validate shows its error and is left out; the valid ones still apply.
        form.is_valid()
    return form, permit_register(user=request.user, **form.selector_filters())


@login_required
def permit_register_view(request: HttpRequest) -> HttpResponse:
    form, permits = _register(request)
    page = Paginator(PermitRegisterPages(permits), PERMITS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "permits/register.html",
        {
            "filter_form": form,
            "page": page,
            "query": request.GET.urlencode(),
            "sees_holders": request.user.reads_all_cases,
        },
    )


CSV_COLUMNS = [
    "number",
    "status",
    "holder",
    "case",
    "licence_type",
    "destination",
    "end_user",
    "valid_from",
    "valid_to",
    "control_codes",
]


@login_required
def permit_register_csv(request: HttpRequest) -> HttpResponse:
    """The filtered register as CSV, every matching permit (not one page)."""
    _form, permits = _register(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="permits.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for p in permit_register_rows(permits).iterator(chunk_size=500):
        writer.writerow(
            [
                p.number,
                p.status,
                p.organisation.name,
                p.case.reference,
                p.licence_type.code,
                p.destination_country.code,
                _csv_safe(p.end_user_name),
                p.valid_from.isoformat(),
                p.valid_to.isoformat(),
                " ".join(sorted({i.control_code for i in p.items.all() if i.control_code})),
            ]
        )
    return response


def _csv_safe(text: str) -> str:
    # A cell starting with = + - @ is a formula to a spreadsheet: an end user's name must stay a name.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _detail_context(request, permit, **extra) -> dict:
    is_holder = request.user.is_officer and request.user.organisation_id == permit.organisation_id
    return {
        "permit": permit,
        "balances": permit_balance(permit=permit),
        "history": permit_usage_history(permit=permit),
        "actions": allowed_actions(permit, request.user),
        "action_form": extra.pop("action_form", None) or ActionForm(),
        "chain": permit_chain(permit=permit),
        "is_holder": is_holder,
        "may_ship": is_holder and permit.status in SHIPMENTS_RECORDED_ON,
        "may_amend": is_holder and permit.status in ("issued", "suspended"),
        **extra,
    }


@login_required
def permit_detail_view(request: HttpRequest, number: str) -> HttpResponse:
    permit = permit_get_for_user(user=request.user, number=number)
    return render(request, "permits/detail.html", _detail_context(request, permit))


@login_required
@require_POST
def permit_action_view(request: HttpRequest, number: str, action: str) -> HttpResponse:
    permit = permit_get_for_user(user=request.user, number=number)
    form = ActionForm(request.POST)
    if action not in TRANSITIONS:
        raise PermissionDenied(_("No such action."))
    if form.is_valid():
        try:
            # The version the user read: an action on a permit someone changed meanwhile is refused.
            version = request.POST.get("version")
            if version and version.isdigit() and int(version) != permit.version:
                raise PermitChanged(_("The permit was changed by someone else. Reload it and try again."))
            permit_transition(permit=permit, action=action, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            for message in (
                error.message_dict.get("reason", error.messages) if hasattr(error, "error_dict") else error.messages
            ):
                form.add_error("reason", message)
        except (TransitionNotAllowed, PermitChanged) as error:
            messages.error(request, str(error))
            return redirect("permits:detail", number=permit.number)
        else:
            messages.success(
                request,
                _("Permit %(number)s: %(label)s done.") % {"number": permit.number, "label": TRANSITIONS[action].label},
            )
            return redirect("permits:detail", number=permit.number)
    return render(
        request,
        "permits/detail.html",
        _detail_context(request, permit, action_form=form, failed_action=action),
        status=400,
    )


@login_required
def shipment_new_view(request: HttpRequest, number: str) -> HttpResponse:
    permit = permit_get_for_user(user=request.user, number=number)
    if not (request.user.is_officer and request.user.organisation_id == permit.organisation_id):
        raise PermissionDenied(_("Only the permit holder's officers record shipments."))
    balances = permit_balance(permit=permit)
    form = ShipmentForm(request.POST or None, balances=balances)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                shipment_record(
                    permit=permit, actor=request.user, shipped_on=form.cleaned_data["shipped_on"], lines=form.lines()
                )
            except ValidationError as error:
                form.attach(error)
            else:
                messages.success(request, _("Shipment recorded against %(number)s.") % {"number": permit.number})
                return redirect("permits:detail", number=permit.number)
        status = 400
    return render(request, "permits/shipment_form.html", {"permit": permit, "form": form}, status=status)


@login_required
@require_POST
def permit_amend_view(request: HttpRequest, number: str) -> HttpResponse:
    permit = permit_get_for_user(user=request.user, number=number)
    form = AmendForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an amendment or an extension."))
        return redirect("permits:detail", number=permit.number)
    try:
        case = permit_amendment_start(permit=permit, actor=request.user, kind=form.cleaned_data["kind"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("permits:detail", number=permit.number)
    messages.success(
        request,
        _("Draft %(reference)s started from permit %(number)s.")
        % {"reference": case.reference, "number": permit.number},
    )
    return redirect(reverse("cases:edit", kwargs={"reference": case.reference}))


@login_required
@require_GET
def permit_certificate_view(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate as PDF, for those who may read the permit."""
    from weasyprint import HTML

    permit = permit_get_for_user(user=request.user, number=number)
    verify_url = request.build_absolute_uri(reverse("permits:verify", kwargs={"number": permit.number}))
    # The certificate is the authority's document: one wording whoever prints it, in the site's default language
    # (its font, DejaVu, has no Chinese glyphs either). The pages around it follow the reader's language.
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "permits/certificate.html",
            {
                "permit": permit,
                "items": list(permit.items.all()),
                "code": permit_verification_code(permit),
                "verify_url": verify_url,
            },
        )
    # Everything the certificate needs is inline: it fetches nothing, from the network or the disk.
    pdf = HTML(string=html, url_fetcher=_fetch_nothing).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{permit.number}.pdf"'
    return response


def _fetch_nothing(url: str, *args, **kwargs):
    raise ValueError(f"The certificate loads no outside resources ({url}).")
