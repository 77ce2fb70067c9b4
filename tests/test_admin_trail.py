"""The Django admin writes to the audit trail: every registered admin that can add, change or delete is audited (or
goes through the audited services), and each door of the admin (add and change forms, editable list columns, the
delete page, "delete selected", the password form) records one event with what changed, never a secret."""

from html.parser import HTMLParser

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.test import Client, RequestFactory

from accounts.models import Organisation, User
from accounts.roles import Role
from audit.admin_trail import AuditedAdmin
from audit.models import AuditEvent
from review.models import CaseAssignment, Queue, RefusalReason, RoutingRule
from timelimits.admin import CalendarDayAdmin

from .factories import make_case, make_user

pytestmark = pytest.mark.django_db

# Admins that write through the services, which audit each change themselves.
THROUGH_SERVICES = (CalendarDayAdmin,)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", email="root@example.org", password="x" * 12)


@pytest.fixture
def client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


class _Form(HTMLParser):
    """The values a browser would send for the admin's main form, as the page shows them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("method", "").lower() == "post" and "logout" not in a.get("action", ""):
            self._in_form = True
        if not self._in_form or "name" not in a and tag in ("input", "select", "textarea"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "file", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                self.data.setdefault(a["name"], [])
                return
            self.data.setdefault(a["name"], []).append(a.get("value", "on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = a["name"]
            self.data.setdefault(self._select, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self.data[self._textarea] = [""]

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "form":
            self._in_form = False

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][0] += data


def _form(client: Client, url: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    parser = _Form()
    parser.feed(response.content.decode())
    return {k: v for k, v in parser.data.items() if v}


def _events(verb: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(verb=verb).order_by("id"))


def test_every_admin_that_can_write_is_audited(superuser):
    request = RequestFactory().get("/admin/")
    request.user = superuser
    unaudited = []
    for model, model_admin in site._registry.items():
        writes = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        if writes and not isinstance(model_admin, (AuditedAdmin, *THROUGH_SERVICES)):
            unaudited.append(model._meta.label)
    assert unaudited == []


def test_a_change_records_the_fields_changed_as_before_and_after(client, superuser):
    general = Queue.objects.create(name="General desk", slug="general-desk")
    senior = Queue.objects.create(name="Senior desk", slug="senior-desk", senior_only=True)
    rule = RoutingRule.objects.create(queue=general, priority=10, description="Dual-use magnets")
    url = f"/admin/review/routingrule/{rule.pk}/change/"
    data = _form(client, url)
    data.update(queue=[str(senior.pk)], priority=["20"])
    data.pop("active", None)  # unticked
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _events("admin.routingrule.changed")
    assert event.actor == superuser and event.target_id == str(rule.pk)
    assert event.before == {"queue": "General desk", "priority": 10, "active": True}
    assert event.after == {"queue": "Senior desk", "priority": 20, "active": False}
    assert "Changed" in event.message


def test_editable_list_columns_are_audited_row_by_row(client):
    reasons = [
        RefusalReason.objects.create(code=f"R{n}", title=f"Reason {n}", text=f"Text {n}", active=True) for n in (1, 2)
    ]
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, reason in enumerate(sorted(reasons, key=lambda r: -r.pk)):
        data[f"form-{index}-id"] = str(reason.pk)
        if reason.code == "R2":
            data[f"form-{index}-active"] = "on"  # unchanged; R1 is switched off
    response = client.post("/admin/review/refusalreason/", data)
    assert response.status_code == 302
    [event] = _events("admin.refusalreason.changed")
    assert (event.target_repr, event.before, event.after) == (str(reasons[0]), {"active": True}, {"active": False})


def test_roles_of_a_user_changed_in_the_admin_are_audited(client, org):
    officer = make_user(Role.OFFICER, organisation=org, username="officer.one")
    url = f"/admin/accounts/user/{officer.pk}/change/"
    data = _form(client, url)
    admins, _ = Group.objects.get_or_create(name=Role.ORG_ADMIN.value)
    data["groups"] = [*data.get("groups", []), str(admins.pk)]
    data["is_active"] = []
    response = client.post(url, {k: v for k, v in data.items() if v})
    assert response.status_code == 302, response.content.decode()[:3000]
    [event] = _events("admin.user.changed")
    assert event.organisation == org
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert admins.name not in event.before["groups"] and admins.name in event.after["groups"]
    assert "password" not in event.before and "password" not in event.after


def test_the_user_admin_refuses_what_user_create_refuses(client, org):
    """An exporter's officer cannot be made a reviewer in the admin either: the form says why, nothing changes."""
    officer = make_user(Role.OFFICER, organisation=org, username="officer.four")
    reviewers, _ = Group.objects.get_or_create(name=Role.REVIEWER.value)
    url = f"/admin/accounts/user/{officer.pk}/change/"
    data = _form(client, url)
    data["groups"] = [*data.get("groups", []), str(reviewers.pk)]
    response = client.post(url, data)
    assert response.status_code == 200
    assert "cannot be held by a member of an exporting organisation" in response.content.decode()
    assert set(officer.groups.values_list("name", flat=True)) == {Role.OFFICER.value}
    assert not _events("admin.user.changed")


def test_a_password_set_in_the_admin_is_recorded_without_the_hash(client, org):
    officer = make_user(Role.OFFICER, organisation=org, username="officer.two")
    response = client.post(
        f"/admin/accounts/user/{officer.pk}/password/",
        {"password1": "a-new-Passw0rd-2026", "password2": "a-new-Passw0rd-2026", "set_usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    officer.refresh_from_db()
    assert officer.check_password("a-new-Passw0rd-2026")
    [event] = _events("admin.user.changed")
    assert event.before is None and event.after is None
    assert "password" in event.message.lower()
    assert officer.password not in str(AuditEvent.objects.values_list("before", "after", "message"))


def test_an_addition_records_every_field_and_a_failed_form_records_nothing(client):
    assert client.post("/admin/accounts/organisation/add/", {"name": "", "country": "DE"}).status_code == 200
    assert not _events("admin.organisation.added")
    response = client.post("/admin/accounts/organisation/add/", {"name": "Rhein Magnet GmbH", "country": "DE"})
    assert response.status_code == 302
    [event] = _events("admin.organisation.added")
    organisation = Organisation.objects.get(name="Rhein Magnet GmbH")
    assert event.organisation == organisation and event.target_id == str(organisation.pk)
    assert event.after["name"] == "Rhein Magnet GmbH" and event.after["country"] == "DE"


def test_deletions_are_recorded_from_the_delete_page_and_the_bulk_action(client, officer, superuser):
    case = make_case(officer)
    queue = Queue.objects.create(name="General desk", slug="general-desk")
    assignment = CaseAssignment.objects.create(case=case, queue=queue, outcome="licence_required")
    response = client.post(f"/admin/review/caseassignment/{assignment.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not CaseAssignment.objects.exists()
    [event] = _events("admin.caseassignment.deleted")
    assert event.case == case and event.before["queue"] == "General desk" and event.after is None

    reasons = [RefusalReason.objects.create(code=f"D{n}", title=f"Gone {n}", text="x") for n in (1, 2)]
    response = client.post(
        "/admin/review/refusalreason/",
        {"action": "delete_selected", "_selected_action": [str(r.pk) for r in reasons], "post": "yes"},
    )
    assert response.status_code == 302 and not RefusalReason.objects.filter(code__in=["D1", "D2"]).exists()
    assert sorted(e.before["code"] for e in _events("admin.refusalreason.deleted")) == ["D1", "D2"]


def test_a_token_handed_out_in_the_admin_names_its_user_never_its_key(client, org):
    officer = make_user(Role.OFFICER, organisation=org, username="officer.three")
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": str(officer.pk)})
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _events("admin.tokenproxy.added")
    assert (event.target_type, event.target_id) == ("accounts.user", str(officer.pk))
    key = officer.auth_token.key
    recorded = AuditEvent.objects.filter(pk=event.pk).values_list("target_repr", "before", "after", "message").get()
    assert key not in str(recorded)
