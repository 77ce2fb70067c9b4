"""For every case page: an officer of another organisation gets 404 (as if the case did not exist), and
someone not signed in is sent to the login page. Nothing changes either way (checked in the database here, for
a draft and a submitted case).

Every other route, and every role, is in the permission matrix (tests/test_permission_matrix.py), which walks the
whole URL configuration; this file keeps the narrower guard with its checks that nothing was written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, Document

from .factories import PDF_BYTES, make_case

pytestmark = pytest.mark.django_db

# (url name, extra kwargs, method). Every URL of cases/urls.py that names a case is here; the test below fails
# if one is added without being listed.
CASE_VIEWS = [
    ("detail", {}, "get"),
    ("edit", {}, "get"),
    ("edit", {}, "post"),
    ("composition", {"line": 1}, "get"),
    ("composition", {"line": 1}, "post"),
    ("owners", {"line": 1}, "get"),
    ("owners", {"line": 1}, "post"),
    ("upload", {}, "get"),
    ("upload", {}, "post"),
    ("download", {"document_id": None}, "get"),
    ("document-remove", {"document_id": None}, "post"),
    ("submit", {}, "post"),
    ("withdraw", {}, "post"),
    ("copy", {}, "post"),
]


def _call(client: Client, case: Case, name: str, kwargs: dict, method: str):
    kwargs = {k: (case.documents.get().pk if k == "document_id" else v) for k, v in kwargs.items()}
    path = reverse(f"cases:{name}", kwargs={"reference": case.reference, **kwargs})
    data = {
        "version": case.version,
        "reason": "not mine to withdraw",
        "doc_type": "contract",
        "file": SimpleUploadedFile("c.pdf", PDF_BYTES),
    }
    if method == "post":
        return client.post(path, data)
    return client.get(path)


def _state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.status, fresh.version, Case.objects.count(), Document.objects.count(), AuditEvent.objects.count()


def test_every_case_url_is_listed():
    from cases.urls import urlpatterns

    with_reference = {p.name for p in urlpatterns if "<str:reference>" in str(p.pattern)}
    assert with_reference == {name for name, _, _ in CASE_VIEWS}


@pytest.mark.parametrize(("name", "kwargs", "method"), CASE_VIEWS)
@pytest.mark.parametrize("submitted", [False, True], ids=["draft", "submitted"])
def test_officer_of_another_organisation_gets_404(officer, other_officer, name, kwargs, method, submitted):
    case = make_case(officer)
    if submitted:
        from cases.services import case_submit

        case = case_submit(case=case, actor=officer)
    before = _state(case)
    client = Client()
    client.force_login(other_officer)
    response = _call(client, case, name, kwargs, method)
    assert response.status_code == 404
    assert _state(case) == before


@pytest.mark.parametrize(("name", "kwargs", "method"), CASE_VIEWS)
def test_anonymous_is_sent_to_login(officer, name, kwargs, method):
    case = make_case(officer)
    before = _state(case)
    response = _call(Client(), case, name, kwargs, method)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")
    assert _state(case) == before


@pytest.mark.parametrize("path_name", ["cases:list", "cases:new"])
def test_anonymous_is_sent_to_login_from_list_and_new(path_name):
    response = Client().get(reverse(path_name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_reference_is_404_like_a_foreign_one(officer):
    client = Client()
    client.force_login(officer)
    assert client.get(reverse("cases:detail", kwargs={"reference": "LIC-1999-000001"})).status_code == 404


def test_may_see_case_gives_the_answer_the_case_page_gives(officer, other_officer, reviewer, rule_admin, auditor, org):
    """`user_may_see_case` decides whether a page links to a case; it must agree with `cases_visible_to`, which
    decides whether the case's page answers or 404s, for every kind of reader and every status."""
    from django.contrib.auth.models import AnonymousUser

    from accounts.roles import Role
    from cases.selectors import cases_visible_to, user_may_see_case
    from cases.vocab import CaseStatus

    from .factories import make_user

    org_admin = make_user(Role.ORG_ADMIN, organisation=org, username="org_admin")
    gone = make_user(Role.REVIEWER, username="gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    readers = [officer, org_admin, other_officer, reviewer, rule_admin, auditor, gone, AnonymousUser()]
    cases = []
    for status in CaseStatus.values:
        case = make_case(officer)
        Case.objects.filter(pk=case.pk).update(status=status)
        case.status = status
        cases.append(case)
    seen = 0
    for user in readers:
        visible = set(cases_visible_to(user).values_list("pk", flat=True))
        for case in cases:
            assert user_may_see_case(user=user, case=case) is (case.pk in visible), (user, case.status)
            seen += case.pk in visible
    assert 0 < seen < len(readers) * len(cases)
