from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cases.vocab import CaseStatus

from .forms import LoginForm, OfficerAddForm
from .roles import Role
from .selectors import organisation_members
from .services import AccountError, organisation_officer_add


def home(request: HttpRequest) -> HttpResponse:
    """Each person's start page: officers their dashboard, the authority's staff the submitted ones."""
    if not request.user.is_authenticated:
        return redirect("login")
    if request.user.is_officer:
        return redirect("dashboard:officer")
    return redirect(reverse("cases:list") + "?" + urlencode({"status": CaseStatus.SUBMITTED}))


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True


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
