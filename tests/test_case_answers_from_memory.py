"""Writes answer and audit from the rows they have just written, and a submission hands its facts to the
screening it starts, instead of reading them back. These tests hold each such answer against a fresh read of the
same case: whatever the services keep in memory must say exactly what the database says."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.models import Case
from cases.selectors import case_lock_for_screening, offering_facts, with_facts
from cases.services import case_create, case_save_draft, case_snapshot, case_submit, case_withdraw
from screening.models import Screening
from screening.selectors import rule_set_in_force, rule_set_in_force_read_once
from screening.services import case_screen
from timelimits.models import CaseClock

from .factories import PASSWORD, case_data, item_data, make_case, make_user, party_data

pytestmark = pytest.mark.django_db

API = "/api/v1/cases"


def fresh(case: Case) -> Case:
    return with_facts(Case.objects.filter(pk=case.pk)).get()


def token_client(user) -> APIClient:
    client = APIClient()
    token = client.post("/api/v1/auth/token", {"username": user.username, "password": PASSWORD}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return client


def lines_json() -> list[dict]:
    # Amounts with fewer places than their columns, a share with trailing zeros, content on one line only.
    return [
        {
            "kind": "goods",
            "description": f"Sintered NdFeB magnet blocks, lot {n}",
            "control_code": "1C905.a",
            "hs_code": "8505111000",
            "produced_in": "CN",
            "quantity": {"amount": f"{100 + n}.5", "unit": "kg"},
            "value": {"amount": f"{8400 + n}.2", "currency": "USD"},
            "elements": [
                {"element": "Nd", "form": "magnet", "mass_fraction": "0.290"},
                {"element": "Dy", "form": "magnet", "mass_fraction": "0.025"},
            ],
            "content": [{"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": "0.004"}]
            if n % 2
            else [],
        }
        for n in range(3)
    ]


def parties_json() -> list[dict]:
    return [
        {
            "role": "end_user",
            "name": "Stuttgart Antriebstechnik GmbH",
            "address": "Industriestr. 5, 70565 Stuttgart",
            "country": "DE",
            "category": "commercial",
            "owners": [
                {"name": "Antrieb Holding AG", "country": "CH", "share": "0.60"},
                {"name": "Family office", "share": "0.4"},
            ],
        },
        {"role": "consignee", "name": "Spedition Nord", "country": "NL", "owners": []},
    ]


def case_json() -> dict:
    return {
        "licence_type": "single",
        "transaction": "export",
        "destination_country": "DE",
        "decisive_date": "2025-06-01",
        "items": lines_json(),
        "parties": parties_json(),
        "end_use": {"categories": ["civil"], "description": "Traction motors"},
    }


def test_create_answers_what_a_read_answers(officer):
    client = token_client(officer)
    created = client.post(API, case_json(), format="json")
    assert created.status_code == 201, created.json()
    read = client.get(f"{API}/{created.json()['reference']}")
    assert created.json() == read.json()


def test_update_answers_what_a_read_answers(officer):
    client = token_client(officer)
    reference = client.post(API, case_json(), format="json").json()["reference"]
    changed = client.patch(
        f"{API}/{reference}",
        {"items": list(reversed(lines_json())), "destination_country": "FR", "version": 1},
        format="json",
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["version"] == 2
    assert changed.json() == client.get(f"{API}/{reference}").json()
    # Parties not sent stay, and are answered as they are stored.
    assert [p["name"] for p in changed.json()["parties"]] == ["Stuttgart Antriebstechnik GmbH", "Spedition Nord"]


# Committed for real, as in the app: screening runs when the submission commits, inside the submit request.
@pytest.mark.django_db(transaction=True)
def test_submit_answers_what_a_read_answers(officer):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    client = token_client(officer)
    reference = client.post(API, case_json(), format="json").json()["reference"]
    pdf = io.BytesIO(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    pdf.name = "euc.pdf"
    uploaded = client.post(
        f"{API}/{reference}/documents", {"doc_type": "end_user_certificate", "file": pdf}, format="multipart"
    )
    assert uploaded.status_code == 201, uploaded.json()
    with CaptureQueriesContext(connection) as ctx:
        submitted = client.post(f"{API}/{reference}/submit", {}, format="json")
    assert submitted.status_code == 200, submitted.json()
    # Screening ran on commit, with the facts the submission had loaded; the answer shows the status it left,
    # taken from the screening rather than read again: the case is read to submit and locked to screen, no more.
    assert submitted.json()["status"] == "screened"
    assert len([q for q in ctx.captured_queries if q["sql"].startswith('SELECT "cases_case"')]) == 2
    assert submitted.json() == client.get(f"{API}/{reference}").json()
    # Screening again reads the facts from the database: the same document, so the same stored screening.
    case = Case.objects.get(reference=reference)
    first = Screening.objects.get(case=case)
    assert case_screen(case_id=case.pk).pk == first.pk
    assert first.facts_digest and Screening.objects.filter(case=case).count() == 1


def test_audit_snapshots_are_those_of_the_stored_case(officer):
    # Decimals given as text and with more places than their columns keep: the snapshot is the stored value.
    case = case_create(
        organisation=officer.organisation,
        filed_by=officer,
        data=case_data(
            items=[item_data(quantity_amount="12.1234567", value_amount="1000.5"), item_data(content=[])],
            parties=[party_data(owners=[{"name": "Holding", "country": "DE", "share": Decimal("0.5")}])],
        ),
    )
    created = AuditEvent.objects.get(verb="case.created", case=case)
    assert created.after == case_snapshot(fresh(case))
    assert case_document(case) == case_document(fresh(case))
    assert case.items.all()[0].quantity_amount == Decimal("12.123457")

    before = case_snapshot(fresh(case))
    edited = case_save_draft(
        case=case, actor=officer, data={"items": [item_data(description="Dy oxide")], "end_use_description": "x"}
    )
    event = AuditEvent.objects.get(verb="case.edited", case=case)
    assert event.before == before and event.after == case_snapshot(fresh(case))
    assert (edited.version, edited.updated_at) == (fresh(case).version, fresh(case).updated_at)


def test_save_draft_loads_the_facts_of_a_case_read_without_them(officer):
    case = make_case(officer)  # read back without its facts
    case_save_draft(case=Case.objects.get(pk=case.pk), actor=officer, data={"end_use_description": "changed"})
    event = AuditEvent.objects.get(verb="case.edited", case=case)
    assert event.before["items"] == event.after["items"] and len(event.after["items"]) == 1
    assert event.after["end_use"]["description"] == "changed"


def test_screening_takes_offered_facts_only_for_the_same_version(officer):
    case = case_submit(case=make_case(officer), actor=officer)
    stored = case_document(fresh(case))
    bogus = {"items": [], "parties": []}
    with offering_facts(case_id=case.pk, version=case.version - 1, facts=bogus):
        assert case_document(case_lock_for_screening(case_id=case.pk)) == stored
    with offering_facts(case_id=case.pk + 1, version=case.version, facts=bogus):
        assert case_document(case_lock_for_screening(case_id=case.pk)) == stored
    with offering_facts(case_id=case.pk, version=case.version, facts=bogus):
        assert case_document(case_lock_for_screening(case_id=case.pk))["items"] == []
    # Outside the offer, nothing is left behind.
    assert case_document(case_lock_for_screening(case_id=case.pk)) == stored


def test_a_submission_and_its_screening_read_the_rule_set_in_force_once(officer, django_capture_on_commit_callbacks):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    case = make_case(officer)
    with CaptureQueriesContext(connection) as ctx, django_capture_on_commit_callbacks(execute=True):
        case_submit(case=case, actor=officer)
    reads = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "screening_rulesetversion"')]
    assert len(reads) == 1, reads
    # The clock started by the version in force and the screening was made under it.
    assert CaseClock.objects.get(case=case).limit_working_days == 45
    assert Screening.objects.get(case=case).version == rule_set_in_force()


def test_the_rule_set_in_force_is_read_once_a_day_only_inside_the_block(officer, django_assert_num_queries):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    today, tomorrow = date(2026, 3, 2), date(2026, 3, 3)
    read: dict = {}
    with rule_set_in_force_read_once(read), django_assert_num_queries(2):
        first = rule_set_in_force(today=today)
        assert rule_set_in_force(today=today) is first
        assert rule_set_in_force(today=tomorrow) == first
        assert rule_set_in_force(today=tomorrow) is read[tomorrow]
    assert read == {today: first, tomorrow: first}
    with django_assert_num_queries(2):
        rule_set_in_force(today=today)
        rule_set_in_force(today=today)


def test_token_sign_in_loads_every_role_and_the_organisation(org, django_assert_max_num_queries):
    both = make_user(Role.OFFICER, Role.ORG_ADMIN, organisation=org)
    none = make_user(organisation=org)
    client = token_client(both)
    with django_assert_max_num_queries(2):
        # One query signs in (the token, its user, their organisation and their roles), one looks for the case.
        response = client.get(f"{API}/LIC-2025-999999")
    assert response.status_code == 404
    from accounts.authentication import UserTokenAuthentication

    user, _ = UserTokenAuthentication().authenticate_credentials(both.auth_token.key)
    assert user.role_set == {Role.OFFICER, Role.ORG_ADMIN} and user.organisation == org
    user, _ = UserTokenAuthentication().authenticate_credentials(token_key(none))
    assert user.role_set == frozenset() and not user.is_officer


def token_key(user) -> str:
    from rest_framework.authtoken.models import Token

    return Token.objects.get_or_create(user=user)[0].key


def test_a_revoked_or_inactive_token_is_refused(officer):
    client = token_client(officer)
    assert client.get(API).status_code == 200
    officer.is_active = False
    officer.save()
    assert client.get(API).status_code == 401
    officer.is_active = True
    officer.save()
    officer.auth_token.delete()
    assert client.get(API).status_code == 401


def test_a_transition_leaves_the_case_as_a_read_finds_it(officer):
    # case_transition sets status, version and times on the object instead of reading the row back.
    case = make_case(officer)
    submitted = case_submit(case=case, actor=officer)
    stored = Case.objects.get(pk=case.pk)
    for field in ("status", "version", "updated_at", "submitted_at"):
        assert getattr(submitted, field) == getattr(stored, field), field
    assert submitted.status == "submitted"
    # A second transition from the object it returned is taken at the version the row holds.
    withdrawn = case_withdraw(case=submitted, actor=officer, reason="Changed our plans")
    assert (withdrawn.status, withdrawn.version) == ("withdrawn", stored.version + 1)
    assert Case.objects.filter(pk=case.pk, status="withdrawn", version=stored.version + 1).exists()
