"""Pages for requests for information. Thin: every page starts from the case's access check (404 to anyone but
the case's officers and the reviewers); the services decide who may ask, answer and cancel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cases.selectors import user_may_edit_case
from cases.workflow import CaseChanged, TransitionNotAllowed

from .forms import AnswerForm, CancelForm, InformationRequestForm
from .models import InformationRequest
from .selectors import case_get_for_requests, information_request_get_for_user
from .services import (
    Attachment,
    RequestClosed,
    default_deadline,
    information_request_answer,
    information_request_cancel,
    information_request_open,
    user_may_cancel,
    user_may_open,
)


def _errors_to_form(form, error: ValidationError, *, field_map: dict[str, str] | None = None) -> None:
    field_map = field_map or {}
    for key, messages_ in error.message_dict.items():
        # "attachments[0].file" → the form's single files input
        field = field_map.get(key.split("[")[0], key)
        form.add_error(field if field in form.fields else None, messages_)


def _detail_url(request_: InformationRequest) -> str:
    return reverse("rfis:detail", kwargs={"reference": request_.case.reference, "pk": request_.pk})


@login_required
def request_new(request: HttpRequest, reference: str) -> HttpResponse:
    case = case_get_for_requests(user=request.user, reference=reference)
    if request.method == "GET" and not user_may_open(user=request.user, case=case):
        # The form is for the reviewer holding a case in review; the service refuses anyone else's POST as well.
        raise PermissionDenied(_("Only the reviewer holding a case in review may request information."))
    form = InformationRequestForm(
        request.POST or None, initial={"deadline": default_deadline(today=timezone.localdate())}
    )
    if request.method == "POST" and form.is_valid():
        try:
            opened = information_request_open(
                case=case,
                actor=request.user,
                questions=form.cleaned_data["questions"],
                standard_codes=form.cleaned_data["standard_codes"],
                deadline=form.cleaned_data["deadline"],
            )
        except ValidationError as error:
            _errors_to_form(form, error)
        except (TransitionNotAllowed, CaseChanged) as refused:
            messages.error(request, str(refused))
            return redirect("cases:detail", reference=case.reference)
        else:
            messages.success(request, _("The request was sent to the applicant."))
            return redirect(_detail_url(opened))
    return render(request, "rfis/request_new.html", {"case": case, "form": form})


@login_required
def request_detail(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    request_ = information_request_get_for_user(user=request.user, reference=reference, pk=pk)
    case = request_.case
    may_answer = request_.is_open and user_may_edit_case(user=request.user, case=case)
    may_cancel = user_may_cancel(user=request.user, request=request_)
    form = AnswerForm(request.POST or None, request.FILES or None) if may_answer else None
    if request.method == "POST":
        if form is None:
            messages.error(request, _("This request cannot be answered by you, or not any more."))
            return redirect(_detail_url(request_))
        if form.is_valid():
            try:
                information_request_answer(
                    request=request_,
                    actor=request.user,
                    text=form.cleaned_data["text"],
                    attachments=[
                        Attachment(upload=f, doc_type=form.cleaned_data["doc_type"]) for f in form.cleaned_data["files"]
                    ],
                )
            except ValidationError as error:
                _errors_to_form(form, error, field_map={"attachments": "files"})
            except (RequestClosed, TransitionNotAllowed, CaseChanged) as refused:
                messages.error(request, str(refused))
                return redirect(_detail_url(request_))
            else:
                messages.success(request, _("Your answer was sent; the review goes on."))
                return redirect(_detail_url(request_))
    return render(
        request,
        "rfis/request_detail.html",
        {
            "case": case,
            "information_request": request_,
            "form": form,
            "cancel_form": CancelForm() if may_cancel else None,
        },
    )


@login_required
@require_POST
def request_cancel(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    request_ = information_request_get_for_user(user=request.user, reference=reference, pk=pk)
    form = CancelForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        information_request_cancel(request=request_, actor=request.user, reason=reason)
    except (RequestClosed, TransitionNotAllowed, CaseChanged) as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("The request was withdrawn; the case is back in review."))
    return redirect(_detail_url(request_))
