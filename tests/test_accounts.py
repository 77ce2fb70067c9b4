"""Signing in and out, lockout, password reset, password hashing, start pages and the organisation admin."""

import re

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent

from .factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- hashing -----------------------------------------------------------------------------------------------------


def test_argon2_is_the_first_password_hasher():
    # The suite swaps in a fast hasher (tests/conftest.py); the project's own setting is what production uses.
    import config.settings

    assert config.settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_and_checks(settings):
    import config.settings

    settings.PASSWORD_HASHERS = config.settings.PASSWORD_HASHERS
    encoded = make_password("a long enough password")
    assert encoded.startswith("argon2$") and identify_hasher(encoded).algorithm == "argon2"
    assert check_password("a long enough password", encoded)
    assert not check_password("another password", encoded)


# --- login and logout --------------------------------------------------------------------------------------------


def test_login_page(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert "registration/login.html" in [t.name for t in response.templates]
    assert "<title>Sign in · Licensa</title>" in response.text
    assert 'href="#main"' in response.text  # the skip link
    assert re.search(r'<label\s+for="id_username"', response.text)


def test_login_and_logout(officer):
    client = Client()
    response = login(client, "officer", PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("cases:list")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get(reverse("cases:list")).status_code == 302


def test_wrong_password_shows_error(officer):
    response = login(Client(), "officer", "not the password")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert "There is a problem" in response.text


def test_lockout_after_five_failed_logins(officer):
    client = Client()
    for _ in range(4):
        assert login(client, "officer", "wrong").status_code == 200
    response = login(client, "officer", "wrong")
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]
    assert "Sign-in locked" in response.text
    # Locked means locked: the right password does not get in either.
    response = login(client, "officer", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # The lockout is in the audit trail once, however often the locked-out sign-in is tried again.
    [event] = AuditEvent.objects.filter(verb="user.locked_out")
    assert (event.target_id, event.organisation_id, event.actor_id) == (str(officer.pk), officer.organisation_id, None)
    assert event.after == {"ip_address": "127.0.0.1", "failures": 5}
    for _ in range(5):  # a name nobody has is locked out too, but nothing of ours is: nothing is recorded
        last = login(client, "nobody-here", "wrong")
    assert last.status_code == 429
    assert AuditEvent.objects.filter(verb="user.locked_out").count() == 1


def test_four_failures_then_success_does_not_lock(officer):
    client = Client()
    for _ in range(4):
        login(client, "officer", "wrong")
    assert login(client, "officer", PASSWORD).status_code == 302


# --- password reset ----------------------------------------------------------------------------------------------


def test_password_reset_by_email(officer):
    client = Client()
    response = client.get(reverse("password_reset"))
    assert response.status_code == 200
    assert "registration/password_reset_form.html" in [t.name for t in response.templates]
    response = client.post(reverse("password_reset"), {"email": officer.email})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert client.get(response["Location"]).status_code == 200

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [officer.email] and message.subject == "Licensa: reset your password"
    link = re.search(r"https?://testserver(/\S+)", message.body).group(1)

    response = client.get(link, follow=True)
    assert response.status_code == 200
    assert "registration/password_reset_confirm.html" in [t.name for t in response.templates]
    assert response.context["validlink"]
    set_password_url = response.redirect_chain[-1][0]
    new_password = "a brand new passphrase 42"
    response = client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert client.get(response["Location"]).status_code == 200

    assert login(Client(), "officer", new_password).status_code == 302
    [event] = AuditEvent.objects.filter(verb="user.password_reset")
    assert (event.actor_id, event.target_id, event.organisation_id) == (
        officer.pk,
        str(officer.pk),
        officer.organisation_id,
    )
    # the link works once
    assert not Client().get(link, follow=True).context["validlink"]


def test_password_reset_for_unknown_address_sends_nothing_and_says_the_same(db):
    response = Client().post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


# --- start page --------------------------------------------------------------------------------------------------


def test_home_sends_each_person_to_their_start_page(officer, reviewer):
    assert Client().get(reverse("home"))["Location"] == reverse("login")
    assert client_for(officer).get(reverse("home"))["Location"] == reverse("dashboard:officer")
    assert client_for(reviewer).get(reverse("home"))["Location"] == reverse("cases:list") + "?status=submitted"


def test_navigation_follows_roles(org, officer, reviewer):
    admin = make_user(Role.ORG_ADMIN, organisation=org)
    officer_page = client_for(officer).get(reverse("cases:list")).text
    assert reverse("cases:new") in officer_page and reverse("organisation") not in officer_page
    reviewer_page = client_for(reviewer).get(reverse("cases:list")).text
    assert reverse("cases:new") not in reviewer_page
    assert reverse("organisation") in client_for(admin).get(reverse("cases:list")).text


# --- organisation admin ------------------------------------------------------------------------------------------


@pytest.fixture
def org_admin(org):
    return make_user(Role.ORG_ADMIN, organisation=org, username="orgadmin")


def test_org_admin_sees_own_members_only(org_admin, officer, other_officer):
    response = client_for(org_admin).get(reverse("organisation"))
    assert response.status_code == 200
    assert "accounts/organisation.html" in [t.name for t in response.templates]
    assert "officer" in [m["user"].username for m in response.context["members"]]
    assert other_officer.username not in response.text
    assert "Compliance officer" in response.text


def test_org_admin_adds_an_officer_who_sets_a_password(org_admin, other_org, django_capture_on_commit_callbacks):
    client = client_for(org_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("organisation"),
            {
                "username": "new.officer",
                "first_name": "Li",
                "last_name": "Na",
                "email": "li.na@example.com",
                # an attempt to place the officer in another organisation is ignored
                "organisation": other_org.pk,
            },
        )
    assert response.status_code == 302
    new = User.objects.get(username="new.officer")
    assert new.organisation == org_admin.organisation
    assert new.role_set == {Role.OFFICER}
    assert not new.has_usable_password()
    event = AuditEvent.objects.get(verb="user.created", target_id=str(new.pk))
    assert event.actor == org_admin

    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.na@example.com"]
    link = re.search(r"https?://testserver(/\S+)", mail.outbox[0].body).group(1)
    anonymous = Client()
    response = anonymous.get(link, follow=True)
    assert response.context["validlink"]
    anonymous.post(
        response.redirect_chain[-1][0],
        {"new_password1": "my own passphrase 77", "new_password2": "my own passphrase 77"},
    )
    assert login(Client(), "new.officer", "my own passphrase 77").status_code == 302


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"username": "officer", "email": "x@example.com"}, "username"),
        ({"username": "fresh", "email": "not-an-address"}, "email"),
        ({"username": "fresh", "email": ""}, "email"),
        ({"username": "bad name!", "email": "x@example.com"}, "username"),
    ],
)
def test_org_admin_add_with_bad_input_shows_error_and_creates_nothing(org_admin, officer, data, field):
    count = User.objects.count()
    response = client_for(org_admin).post(reverse("organisation"), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert f'id="error_1_id_{field}"' in response.text
    assert User.objects.count() == count
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["officer", "reviewer", "auditor"])
def test_only_an_org_admin_manages_members(request, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(reverse("organisation")).status_code == 403
    count = User.objects.count()
    assert client.post(reverse("organisation"), {"username": "sneaky", "email": "s@example.com"}).status_code == 403
    assert User.objects.count() == count


def test_org_admin_page_needs_login(db):
    response = Client().get(reverse("organisation"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- roles -------------------------------------------------------------------------------------------------------


def test_roles_are_set_only_by_an_administrator_and_never_mixed(org, officer, reviewer, other_officer):
    """`user_set_roles` refuses what `user_create` refuses (an exporter's member holding the authority's roles),
    and anyone but the system, a superuser or the organisation's own admin giving exporter roles."""
    from django.core.exceptions import PermissionDenied

    from accounts.services import AccountError, user_set_roles

    org_admin = make_user(Role.ORG_ADMIN, organisation=org, username="org.admin.two")
    root = User.objects.create_superuser(username="root", email="root@example.org", password="x" * 12)
    events = AuditEvent.objects.count()
    # The way around four eyes the probe found: an officer making himself a reviewer of his own cases.
    for actor in (officer, root, None):
        with pytest.raises(AccountError, match="authority's roles"):
            user_set_roles(user=officer, roles=[Role.OFFICER, Role.REVIEWER], actor=actor)
    with pytest.raises(AccountError, match="belong to an organisation"):
        user_set_roles(user=reviewer, roles=[Role.OFFICER], actor=root)
    for actor in (officer, reviewer, other_officer):
        with pytest.raises(PermissionDenied):
            user_set_roles(user=officer, roles=[Role.OFFICER, Role.ORG_ADMIN], actor=actor)
    with pytest.raises(PermissionDenied):  # an organisation admin has no say over the authority's staff
        user_set_roles(user=reviewer, roles=[Role.REVIEWER, Role.SENIOR_REVIEWER], actor=org_admin)
    assert set(officer.groups.values_list("name", flat=True)) == {Role.OFFICER.value}
    assert AuditEvent.objects.count() == events
    user_set_roles(user=officer, roles=[Role.OFFICER, Role.ORG_ADMIN], actor=org_admin)
    user_set_roles(user=reviewer, roles=[Role.REVIEWER, Role.SENIOR_REVIEWER], actor=root)
    assert AuditEvent.objects.filter(verb="user.roles_changed").count() == 2
