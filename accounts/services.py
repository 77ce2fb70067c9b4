from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from audit.models import AuditEvent
from audit.services import audit_record

from .models import Organisation, User
from .roles import AUTHORITY_ROLES, Role


class AccountError(Exception):
    pass


def roles_refusal(*, organisation: Organisation | None, roles: Iterable[Role]) -> str | None:
    """Why a member of `organisation` (None: the authority's staff) may not hold `roles` together, or None."""
    roles = set(roles)
    if organisation is None and roles & {Role.OFFICER, Role.ORG_ADMIN}:
        return "Compliance officers and organisation admins belong to an organisation."
    if organisation is not None and roles & AUTHORITY_ROLES:
        return "The authority's roles cannot be held by a member of an exporting organisation."
    return None


@transaction.atomic
def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    organisation: Organisation | None = None,
    roles: Iterable[Role] = (),
    created_by: User | None = None,
) -> User:
    roles = set(roles)
    refusal = roles_refusal(organisation=organisation, roles=roles)
    if refusal:
        raise AccountError(refusal)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, organisation=organisation)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user_set_roles(user=user, roles=roles, actor=created_by, record=False)
    audit_record(
        actor=created_by,
        verb="user.created",
        target=user,
        organisation=organisation,
        after={"username": username, "roles": sorted(r.value for r in roles)},
    )
    return user


@transaction.atomic
def user_set_roles(*, user: User, roles: Iterable[Role], actor: User | None, record: bool = True) -> None:
    """Give `user` exactly `roles`. Refused for a mix `user_create` refuses, and for anyone but the system (None),
    a superuser, or an organisation admin giving their own organisation's members an exporter's roles."""
    roles = set(roles)
    refusal = roles_refusal(organisation=user.organisation, roles=roles)
    if refusal:
        raise AccountError(refusal)
    if not (
        actor is None
        or actor.is_superuser
        or (
            actor.has_role(Role.ORG_ADMIN)
            and actor.organisation_id is not None
            and actor.organisation_id == user.organisation_id
            and roles <= {Role.OFFICER, Role.ORG_ADMIN}
        )
    ):
        raise PermissionDenied(_("Only an administrator may change what a person may do."))
    before = sorted(r.value for r in user.role_set) if record else None
    groups = [Group.objects.get_or_create(name=role.value)[0] for role in roles]
    user.groups.set(groups)
    user.__dict__.pop("role_set", None)
    if record:
        audit_record(
            actor=actor,
            verb="user.roles_changed",
            target=user,
            organisation=user.organisation,
            before={"roles": before},
            after={"roles": sorted(r.value for r in user.role_set)},
        )


@transaction.atomic
def organisation_create(
    *,
    name: str,
    country: str,
    address: str = "",
    registration_number: str = "",
    created_by: User | None = None,
) -> Organisation:
    organisation = Organisation(name=name, country=country, address=address, registration_number=registration_number)
    organisation.full_clean()
    organisation.save()
    audit_record(
        actor=created_by,
        verb="organisation.created",
        target=organisation,
        organisation=organisation,
        after={"name": name, "country": country},
    )
    return organisation


@transaction.atomic
def organisation_officer_add(
    *, admin: User, username: str, email: str, first_name: str = "", last_name: str = "", base_url: str
) -> User:
    """An organisation admin adds a compliance officer to their own organisation, and only to it.

    The officer gets no password from the admin: an e-mail with a link lets them choose their own."""
    if not (admin.has_role(Role.ORG_ADMIN) and admin.organisation_id is not None):
        raise PermissionDenied(_("Only an organisation admin adds officers, and only to their own organisation."))
    user = user_create(
        username=username,
        password=None,
        email=email,
        first_name=first_name,
        last_name=last_name,
        organisation=admin.organisation,
        roles=[Role.OFFICER],
        created_by=admin,
    )
    user_send_password_setup(user=user, base_url=base_url)
    return user


def user_send_password_setup(*, user: User, base_url: str) -> None:
    """E-mail the user a one-time link to choose a password (Django's password-reset link), once committed."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    context = {
        "user": user,
        "link": base_url.rstrip("/") + reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": token}),
        "organisation": user.organisation,
    }
    with translation.override(user_language(user)):
        subject = " ".join(render_to_string("registration/password_setup_subject.txt", context).split())
        body = render_to_string("registration/password_setup_email.txt", context)
    recipient = user.email
    # Only a user who was really created gets the e-mail.
    # robust: a mail server that is down is logged; it must not turn an officer who was added into an error page.
    transaction.on_commit(lambda: send_mail(subject, body, None, [recipient]), robust=True)


def language_offered(language: str) -> bool:
    """Whether this site offers `language` (a code of settings.LANGUAGES); Django itself would take any language it
    has a catalogue for."""
    return language in dict(settings.LANGUAGES)


def user_language(user: User) -> str:
    """The language to write to this person in: their choice, else the site's default. An e-mail goes out in the
    reader's language, not in that of whoever's action sent it."""
    return user.language if language_offered(user.language) else settings.LANGUAGE_CODE


def user_set_language(*, user: User, language: str) -> None:
    """Remember the interface language a person chose, so a sign-in in another browser starts in it.

    A preference, not a decision of the case work: no audit event, as for a password change of one's own.
    """
    if not language_offered(language):
        raise ValidationError({"language": _("Choose one of the languages offered.")})
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language


def user_record_password_reset(*, user: User) -> None:
    """Call in the transaction that saved the password the user chose through an e-mailed reset link."""
    audit_record(
        actor=user, verb="user.password_reset", target=user, organisation=user.organisation, message="By e-mail link."
    )


def user_record_lockout(*, username: str, ip_address: str | None) -> None:
    """A sign-in lockout has started (or a locked-out sign-in was refused) for `username`: recorded once per lockout
    of a known user, so that repeated attempts while it lasts cannot flood the trail. Unknown usernames are not
    recorded: nothing of ours is locked."""
    user = User.objects.filter(username=username).select_related("organisation").first()
    if user is None:
        return
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    recorded = AuditEvent.objects.filter(
        verb="user.locked_out", target_type=User._meta.label_lower, target_id=str(user.pk), at__gte=since
    )
    if recorded.exists():
        return
    audit_record(
        actor=None,
        verb="user.locked_out",
        target=user,
        organisation=user.organisation,
        after={"ip_address": ip_address, "failures": settings.AXES_FAILURE_LIMIT},
        message=f"Sign-in locked for {settings.AXES_COOLOFF_TIME * 60:g} minutes after repeated failures.",
    )
