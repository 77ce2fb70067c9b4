from collections.abc import Iterable

from django.contrib.auth.models import Group
from django.db import transaction

from audit.services import audit_record

from .models import Organisation, User
from .roles import AUTHORITY_ROLES, Role


class AccountError(Exception):
    pass


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
    if organisation is None and roles & {Role.OFFICER, Role.ORG_ADMIN}:
        raise AccountError("Compliance officers and organisation admins belong to an organisation.")
    if organisation is not None and roles & AUTHORITY_ROLES:
        raise AccountError("The authority's roles cannot be held by a member of an exporting organisation.")
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
