"""The permission matrix: every named route of the URL configuration, pages and API, requested by every role, with
the status each must get (tests/permission_matrix.py holds the table and says how to read it).

Routes are collected by walking `get_resolver().url_patterns`, so a new URL without an entry fails
`test_every_route_has_an_entry` by name. Left out, and only these: the Django admin (`admin/…`: its own login
and staff check guard it, and its URLs are generated per registered model, not written by us) and static or media
files (not routes of ours: WhiteNoise serves static files outside the URL configuration in production, and media
are never served directly — documents go through the permission-checked download views, which are in the matrix).

The objects are made once for the module inside a transaction that is rolled back at the end; every request runs
in a savepoint of its own, so a request that changes something (a role that may act, sent a complete body) does
not change what the next one sees. Requests are real: the Django test client for pages (a session), DRF's token
authentication for the API, against PostgreSQL in CI."""

import pytest
from django.db import transaction
from django.test import Client, TestCase, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from . import permission_matrix as pm
from .permission_matrix import MATRIX, Check
from .permission_world import ROLES, World, build_world

FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
# Namespaces and prefixes that are not ours to list (see the module's docstring).
EXCLUDED_NAMESPACES = {"admin"}
EXCLUDED_PREFIXES = ("admin/", "static/", "media/")


def named_routes(patterns=None, prefix: str = "", namespace: str | None = None) -> dict[str, str]:
    """Every named route of the URL configuration, "namespace:name" → its pattern, admin excluded."""
    found: dict[str, str] = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace
            if inner in EXCLUDED_NAMESPACES or str(entry.pattern).startswith(EXCLUDED_PREFIXES):
                continue
            ns = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            found.update(named_routes(entry.url_patterns, prefix + str(entry.pattern), ns))
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if route.startswith(EXCLUDED_PREFIXES):
                continue
            assert entry.name, f"{route} has no name: every route of ours is named, so the matrix can list it"
            found[f"{namespace}:{entry.name}" if namespace else entry.name] = route
    return found


def test_every_route_has_an_entry():
    routes = named_routes()
    missing = sorted(f"{name} ({route})" for name, route in routes.items() if name not in MATRIX)
    assert not missing, "routes without an entry in tests/permission_matrix.py: " + ", ".join(missing)
    stale = sorted(set(MATRIX) - set(routes))
    assert not stale, "entries for routes that no longer exist: " + ", ".join(stale)
    assert all(MATRIX[name] for name in routes), "every entry makes at least one check"


def test_the_walk_finds_routes_of_every_kind():
    routes = named_routes()
    assert {"cases:detail", "api-case-detail", "permits:verify", "rechecks:finding", "api-schema"} <= set(routes)
    assert not any(route.startswith("admin/") for route in routes.values())


# --- the requests --------------------------------------------------------------------------------------------------

CHECKS = [
    pytest.param(name, index, role, id=f"{name}-{check.method}{index if len(checks) > 1 else ''}-{role}")
    for name, checks in MATRIX.items()
    for index, check in enumerate(checks)
    for role in ROLES
]


@pytest.fixture(scope="module")
def media_root(tmp_path_factory):
    return tmp_path_factory.mktemp("matrix-media")


@pytest.fixture(autouse=True)
def _fast_hashing_and_private_media(settings, media_root):
    """Replaces conftest's: the module's objects keep their files in one folder for the whole module."""
    settings.PASSWORD_HASHERS = FAST_HASHER
    settings.MEDIA_ROOT = media_root
    settings.EMAIL_BACKEND = LOCMEM


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, media_root):
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # screening on submission runs in-process while the objects are made
    with (
        override_settings(MEDIA_ROOT=media_root, PASSWORD_HASHERS=FAST_HASHER, EMAIL_BACKEND=LOCMEM),
        django_db_blocker.unblock(),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world(TestCase.captureOnCommitCallbacks)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            app.conf.task_always_eager = eager


def request(world: World, name: str, check: Check, role: str):
    path = reverse(name, kwargs=check.kwargs(world))
    data = check.data(world) if check.data else {}
    user = world.users[role]
    if name.startswith("api-"):
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {world.token(role)}")
        return getattr(client, check.method)(path, data, format="json")
    client = Client()
    if user is not None:
        client.force_login(user)
    if check.method == "get":
        return client.get(path)
    return getattr(client, check.method)(path, data)


@pytest.mark.parametrize(("name", "index", "role"), CHECKS)
def test_route_answers_each_role_as_the_matrix_says(world, db, name, index, role):
    check = MATRIX[name][index]
    response = request(world, name, check, role)
    expected = check.expected()[role]
    assert response.status_code == expected, (
        f"{check.method.upper()} {name} as {role}: expected {expected}, got {response.status_code}"
        + (f" ({check.why})" if check.why else "")
    )
    if role == "anonymous" and expected == 302:
        assert response["Location"].startswith(reverse("login")), response["Location"]


# --- no object reachable by guessing its id ------------------------------------------------------------------------


def _nonexistent(kwargs: dict) -> dict:
    """The same address with the object's id (or number, or reference) replaced by one that does not exist."""
    out = dict(kwargs)
    for key in ("document_id", "match_id", "pk"):
        if key in out:
            out[key] = 2_000_000_000
            return out
    if "number" in out:
        out["number"] = "PRM-1999-999999"
    else:
        out["reference"] = "LIC-1999-999999"
    return out


# (what, route, kwargs): every kind of object an address names by id, number or reference, page and API.
GUESSABLE = [
    ("case", "cases:detail", pm.case("screened"), "officer"),
    ("case", "api-case-detail", pm.case("screened"), "officer"),
    ("document", "cases:download", pm.document, "officer"),
    ("document", "api-case-document-download", pm.document, "officer"),
    ("permit", "permits:detail", pm.permit, "officer"),
    ("permit", "permits:certificate", pm.permit, "officer"),
    ("permit", "api-permit-detail", pm.permit, "officer"),
    ("request for information", "rfis:detail", pm.rfi, "officer"),
    ("request for information", "api-information-request", pm.rfi_pk, "officer"),
    ("finding", "rechecks:finding", pm.finding, "reviewer"),  # officers see no finding, not even their own
    ("potential match", "parties:potential-match", pm.match, "reviewer"),  # nor the hits on their case
    ("saved search", "search:saved-open", pm.saved, "officer"),
]


def _get(world: World, role: str, name: str, kwargs: dict):
    return request(world, name, Check("get", lambda w: kwargs, " ".join(["0"] * len(ROLES))), role)


@pytest.mark.parametrize(("what", "name", "kwargs", "reader"), GUESSABLE, ids=[f"{g[0]}-{g[1]}" for g in GUESSABLE])
def test_another_organisations_object_answers_exactly_like_a_missing_one(world, db, what, name, kwargs, reader):
    real = kwargs(world)
    assert _get(world, reader, name, real).status_code in (200, 302), f"the {what} is there to be found"
    foreign = _get(world, "other_officer", name, real)
    missing = _get(world, "other_officer", name, _nonexistent(real))
    assert foreign.status_code == missing.status_code == 404, (what, foreign.status_code, missing.status_code)
    assert foreign["Content-Type"] == missing["Content-Type"]
    if name.startswith("api-"):
        assert foreign.json() == missing.json()


# An officer who guesses an id of organisation A's under an address of their own case: the object must be found
# through the case it belongs to, never by its id alone.
CROSSED = [
    ("document", "cases:download", "document_id", lambda w: w.document.pk),
    ("document", "cases:document-remove", "document_id", lambda w: w.document.pk),
    ("document", "api-case-document-download", "document_id", lambda w: w.document.pk),
    ("request for information", "rfis:detail", "pk", lambda w: w.rfi.pk),
    ("request for information", "rfis:cancel", "pk", lambda w: w.rfi.pk),
    ("potential match", "parties:potential-match", "match_id", lambda w: w.match.pk),
]


@pytest.mark.parametrize(("what", "name", "key", "object_id"), CROSSED, ids=[f"{w}-{n}" for w, n, _, _ in CROSSED])
def test_an_id_of_another_organisation_under_ones_own_case_is_404(world, db, what, name, key, object_id):
    from cases.models import Document

    from .factories import make_case

    own = make_case(world.users["other_officer"])
    documents = Document.objects.count()
    method = "post" if name.endswith(("remove", "cancel")) else "get"

    def ask(value):
        check = Check(method, lambda w: {"reference": own.reference, key: value}, " ".join(["0"] * len(ROLES)))
        return request(world, name, check, "other_officer")

    guessed, missing = ask(object_id(world)), ask(2_000_000_000)
    # 404 — or, for the hits on a case, the 403 every officer gets whatever the id: the same answer either way.
    assert guessed.status_code == missing.status_code and guessed.status_code in (403, 404), what
    assert Document.objects.count() == documents


# --- four eyes, through the API and the page -----------------------------------------------------------------------


def _referred_by_senior(world: World):
    """`screened`, claimed by the senior reviewer and recommended for refusal: it waits for a countersignature."""
    from cases.models import Case
    from review.models import RefusalReason
    from review.services import case_claim, case_recommend

    # Read afresh: an earlier test's changes were rolled back in the database, not in `world`'s instances.
    case = case_claim(case=Case.objects.get(pk=world.screened.pk), actor=world.users["senior_reviewer"])
    case_recommend(
        case=case, actor=world.users["senior_reviewer"], recommendation="refuse", reasons="Does not add up.",
        refusal_reasons=list(RefusalReason.objects.filter(active=True)[:1]), applicant_text="It does not add up.",
    )  # fmt: skip
    case = Case.objects.get(pk=case.pk)
    assert case.status == "awaiting_countersignature"
    return case


def _countersign_state(case) -> tuple:
    from audit.models import AuditEvent
    from cases.models import Case

    fresh = Case.objects.get(pk=case.pk)
    return fresh.status, fresh.version, AuditEvent.objects.filter(case=case).count()


def test_api_refuses_a_countersignature_of_ones_own_recommendation(world, db):
    case = _referred_by_senior(world)
    before = _countersign_state(case)
    check = Check(
        "post", lambda w: {"reference": case.reference}, " ".join(["0"] * len(ROLES)),
        data=lambda w: {"agree": True, "note": "Mine."},
    )  # fmt: skip
    response = request(world, "api-case-countersign", check, "senior_reviewer")
    assert response.status_code == 403 and "Four eyes" in str(response.json())
    assert _countersign_state(case) == before
    # Nor a reviewer without the senior role, who did not write it.
    assert request(world, "api-case-countersign", check, "reviewer").status_code == 403
    assert _countersign_state(case) == before


def test_page_refuses_a_countersignature_of_ones_own_recommendation(world, db):
    from cases.models import Case

    case = _referred_by_senior(world)
    before = _countersign_state(case)
    check = Check(
        "post", lambda w: {"reference": case.reference}, " ".join(["0"] * len(ROLES)),
        data=lambda w: {"version": Case.objects.get(pk=case.pk).version, "agree": "yes", "note": "Mine."},
    )  # fmt: skip
    assert request(world, "review:countersign", check, "senior_reviewer").status_code == 403
    assert request(world, "review:countersign", check, "reviewer").status_code == 403
    assert _countersign_state(case) == before
