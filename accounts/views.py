from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cases.vocab import CaseStatus

from .forms import LoginForm, OfficerAddForm
from .roles import Role
from .selectors import organisation_members
from .services import (
    AccountError,
    language_offered,
    organisation_officer_add,
    user_record_password_reset,
    user_set_language,
)


def home(request: HttpRequest) -> HttpResponse:
    """Each person's start page: officers their dashboard, the authority's staff the submitted ones."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_officer:
        return redirect("dashboard:officer")
    return redirect(reverse("cases:list") + "?" + urlencode({"status": CaseStatus.SUBMITTED}))


def remember_language(response: HttpResponse, language: str) -> None:
    """The language cookie LocaleMiddleware reads, set as Django's own language switch sets it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        # A language chosen earlier, perhaps in another browser, holds from this sign-in on.
        language = form.get_user().language
        if language_offered(language):
            remember_language(response, language)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form):
        # The new password and its audit event are one write: neither stands without the other.
        with transaction.atomic():
            response = super().form_valid(form)
            user_record_password_reset(user=form.user)
        return response


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switch in the page footer: Django's set_language (the cookie, the redirect back to `next`),
    and for a signed-in person their preference too. Anyone may switch, the login page's visitors included."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if not (language_offered(language) and check_for_language(language)):
        # Django sets any language it has a catalogue for; this site offers only the ones in its settings.
        response.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    elif request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    return response


@login_required
def organisation(request: HttpRequest) -> HttpResponse:
    """An organisation admin sees their organisation's members and adds compliance officers to it."""
    user = request.user
    if not (user.has_role(Role.ORG_ADMIN) and user.organisation_id is not None):
        raise PermissionDenied(_("Only an organisation admin manages its members."))
    form = OfficerAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            officer = organisation_officer_add(
                admin=user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        except AccountError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s was added as a compliance officer; a link to choose a password went to %(email)s.")
                % {"name": officer, "email": officer.email},
            )
            return redirect("organisation")
    members = [
        {"user": member, "roles": sorted(role.label for role in member.role_set)}
        for member in organisation_members(organisation=user.organisation)
    ]
    return render(
        request,
        "accounts/organisation.html",
        {"organisation": user.organisation, "members": members, "form": form},
    )
