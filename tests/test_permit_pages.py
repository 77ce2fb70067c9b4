"""Permit pages: the register with its filters, query count and CSV; a permit's page and its actions by role and
organisation; the shipment form; the PDF certificate; the verification code on the public page; the chain of
amendments on permit and case pages."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from permits.models import Permit, PermitStatus, Shipment
from permits.selectors import permit_balance, permit_verification_code

from .factories import item_data, party_data
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def permits(db, officer, other_officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    mine = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    theirs = issue(
        screened_case(
            other_officer,
            django_capture_on_commit_callbacks,
            destination_country="FR",
            items=[item_data(control_code="1C906", description="Terbium oxide")],
            parties=[party_data(name="Lyon Aimants SA", country="FR", address="1 rue de Lyon")],
        ),
        reviewer,
        valid_from=date(2026, 6, 1),
        validity_days=30,
    )
    return mine, theirs


def numbers(response) -> set[str]:
    return {p.number for p in response.context["page"].object_list}


# --- register --------------------------------------------------------------------------------------------------


def test_register_shows_officers_their_own_and_reviewers_all(permits, officer, reviewer, auditor):
    mine, theirs = permits
    response = client_for(officer).get(reverse("permits:register"))
    assert response.status_code == 200 and numbers(response) == {mine.number}
    page = response.content.decode()
    assert theirs.number not in page and "Baotou" not in page
    assert "organisation" not in response.context["filter_form"].fields
    assert f'href="{reverse("permits:register")}">Permits</a>' in page
    for user in (reviewer, auditor):
        response = client_for(user).get(reverse("permits:register"))
        assert numbers(response) == {mine.number, theirs.number}
        assert theirs.organisation.name in response.content.decode()


def test_register_filters(permits, reviewer):
    mine, theirs = permits
    client = client_for(reviewer)

    def found(**params):
        return numbers(client.get(reverse("permits:register"), params))

    assert found(status="issued") == {mine.number, theirs.number}
    assert found(status="revoked") == set()
    assert found(organisation=theirs.organisation_id) == {theirs.number}
    assert found(destination="FR") == {theirs.number}
    assert found(licence_type="single") == {mine.number, theirs.number}
    assert found(licence_type="general") == set()
    assert found(valid_to_from="2026-06-30", valid_to_until="2026-07-31") == {theirs.number}
    assert found(valid_to_from="2026-07-01") == {mine.number}
    assert found(q="1c906") == {theirs.number}
    assert found(q="Stuttgart") == {mine.number}
    assert found(q=mine.number) == {mine.number}
    # An invalid filter is shown as an error and left out; the rest still apply.
    response = client.get(reverse("permits:register"), {"valid_to_from": "soon", "destination": "FR"})
    assert numbers(response) == {theirs.number} and response.context["filter_form"].errors["valid_to_from"]


def test_register_queries_do_not_grow_with_permits(
    permits, officer, reviewer, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    client = client_for(reviewer)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("permits:register"))
    for _ in range(4):
        issue(
            screened_case(officer, django_capture_on_commit_callbacks, items=[item_data(), item_data()]),
            reviewer,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("permits:register"))
    assert len(response.context["page"].object_list) == 6


def test_register_csv_follows_the_filters(permits, officer, reviewer):
    mine, theirs = permits
    response = client_for(reviewer).get(reverse("permits:register-csv"), {"destination": "FR"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["number"], r["holder"], r["destination"], r["control_codes"]) for r in rows] == [
        (theirs.number, theirs.organisation.name, "FR", "1C906")
    ]
    rows = list(csv.DictReader(io.StringIO(client_for(officer).get(reverse("permits:register-csv")).content.decode())))
    assert [r["number"] for r in rows] == [mine.number]


# --- detail and actions ----------------------------------------------------------------------------------------


def test_detail_shows_lines_balance_conditions_and_case(permits, officer):
    mine, _ = permits
    response = client_for(officer).get(reverse("permits:detail", kwargs={"number": mine.number}))
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.case.reference in page and "1C905.b" in page and "2026-12-31" in page
    assert [a.action for a in response.context["actions"]] == ["surrender"]


def test_other_organisations_get_404_everywhere(permits, other_officer):
    mine, _ = permits
    client = client_for(other_officer)
    for name in ("detail", "certificate", "shipment-new"):
        assert client.get(reverse(f"permits:{name}", kwargs={"number": mine.number})).status_code == 404
    url = reverse("permits:action", kwargs={"number": mine.number, "action": "surrender"})
    assert client.post(url, {"reason": "mine now"}).status_code == 404
    mine.refresh_from_db()
    assert mine.status == PermitStatus.ISSUED


def test_reviewer_actions_need_a_reason_and_officers_cannot_take_them(permits, officer, reviewer, auditor):
    mine, _ = permits
    detail = reverse("permits:detail", kwargs={"number": mine.number})
    response = client_for(reviewer).get(detail)
    assert [a.action for a in response.context["actions"]] == ["suspend", "revoke"]
    assert client_for(auditor).get(detail).context["actions"] == []
    suspend = reverse("permits:action", kwargs={"number": mine.number, "action": "suspend"})
    response = client_for(reviewer).post(suspend, {"reason": "  ", "version": mine.version})
    assert response.status_code == 400 and "Give a reason" in response.content.decode()
    assert client_for(officer).post(suspend, {"reason": "no"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == PermitStatus.ISSUED
    response = client_for(reviewer).post(suspend, {"reason": "Inquiry open.", "version": mine.version})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.status_reason) == (PermitStatus.SUSPENDED, "Inquiry open.")
    # A second click from the page read before the change is refused as stale.
    reinstate = reverse("permits:action", kwargs={"number": mine.number, "action": "reinstate"})
    client_for(reviewer).post(reinstate, {"reason": "Closed.", "version": mine.version - 1})
    mine.refresh_from_db()
    assert mine.status == PermitStatus.SUSPENDED
    page = client_for(reviewer).get(detail).content.decode()
    assert "Inquiry open." in page


def test_holder_surrenders(permits, officer):
    mine, _ = permits
    url = reverse("permits:action", kwargs={"number": mine.number, "action": "surrender"})
    assert client_for(officer).post(url, {"reason": "", "version": mine.version}).status_code == 302
    mine.refresh_from_db()
    assert mine.status == PermitStatus.SURRENDERED


# --- shipments -------------------------------------------------------------------------------------------------


def test_holder_records_a_shipment(permits, officer):
    mine, _ = permits
    first, second = mine.items.all()
    url = reverse("permits:shipment-new", kwargs={"number": mine.number})
    response = client_for(officer).post(
        url, {"shipped_on": "2026-03-01", f"item_{first.pk}_quantity": "40", f"item_{first.pk}_value": "4000.00"}
    )
    assert response.status_code == 302
    balance = permit_balance(permit=mine)[0]
    assert (balance.quantity_used, balance.value_used) == (Decimal("40"), Decimal("4000.00"))
    assert (
        "2026-03-01"
        in client_for(officer).get(reverse("permits:detail", kwargs={"number": mine.number})).content.decode()
    )


def test_shipment_form_errors_change_nothing(permits, officer, reviewer):
    mine, _ = permits
    first, second = mine.items.all()
    url = reverse("permits:shipment-new", kwargs={"number": mine.number})
    client = client_for(officer)
    before = (Shipment.objects.count(), AuditEvent.objects.count())
    response = client.post(
        url,
        {
            "shipped_on": "2026-03-01",
            f"item_{first.pk}_quantity": "1",
            f"item_{first.pk}_value": "1.00",
            f"item_{second.pk}_quantity": "60",
            f"item_{second.pk}_value": "10.00",
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "Exceeds the balance" in errors[f"item_{second.pk}_quantity"][0]
    assert f"item_{first.pk}_quantity" not in errors
    response = client.post(
        url, {"shipped_on": "2027-01-01", f"item_{first.pk}_quantity": "1", f"item_{first.pk}_value": "1"}
    )
    assert response.status_code == 400
    assert "valid from 2026-01-01 to 2026-12-31" in response.context["form"].errors["shipped_on"][0]
    response = client.post(url, {"shipped_on": "2026-03-01"})
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert (Shipment.objects.count(), AuditEvent.objects.count()) == before
    # Only the holder's officers record shipments.
    assert client_for(reviewer).get(url).status_code == 403


# --- certificate and verification ------------------------------------------------------------------------------


def test_certificate_is_a_pdf_with_the_permit_and_its_code(permits, officer, reviewer):
    from pypdf import PdfReader

    mine, _ = permits
    for user in (officer, reviewer):
        response = client_for(user).get(reverse("permits:certificate", kwargs={"number": mine.number}))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in (
        mine.number,
        mine.organisation.name,
        "Stuttgart Antriebstechnik GmbH",
        "1C905.b",
        "2026-12-31",
        mine.rule_set.label,
        permit_verification_code(mine),
        f"/verify/{mine.number}/",
    ):
        assert expected in text, expected


def test_verification_code_right_and_wrong(client, permits):
    mine, theirs = permits
    url = reverse("permits:verify", kwargs={"number": mine.number})
    right = client.get(url, {"code": permit_verification_code(mine).lower().replace("-", "")})
    assert right.status_code == 200 and 'data-code="match"' in right.content.decode()
    # Another permit's code does not verify this one.
    wrong = client.get(url, {"code": permit_verification_code(theirs)})
    assert 'data-code="mismatch"' in wrong.content.decode() and 'data-code="match"' not in wrong.content.decode()
    plain = client.get(url).content.decode()
    assert "data-code=" not in plain
    for secret in (mine.organisation.name, mine.end_user_name, mine.case.reference, "1C905"):
        assert secret not in right.content.decode()


# --- amendments on the pages -----------------------------------------------------------------------------------


def test_amendment_from_the_permit_page_and_the_chain_on_both_pages(permits, officer, other_officer, reviewer):
    mine, _ = permits
    url = reverse("permits:amend", kwargs={"number": mine.number})
    assert client_for(other_officer).post(url, {"kind": "amendment"}).status_code == 404
    response = client_for(officer).post(url, {"kind": "amendment"})
    assert response.status_code == 302
    draft = mine.amendments.get()
    assert response["Location"] == reverse("cases:edit", kwargs={"reference": draft.reference})
    page = client_for(officer).get(reverse("permits:detail", kwargs={"number": mine.number})).content.decode()
    assert f'<a href="/cases/{draft.reference}/">{draft.reference}</a>' in page
    # The authority sees the permit and its case, but not the holder's draft: named, not linked.
    page = client_for(reviewer).get(reverse("permits:detail", kwargs={"number": mine.number})).content.decode()
    assert f'<a href="/cases/{mine.case.reference}/">{mine.case.reference}</a>' in page
    assert draft.reference in page and f'href="/cases/{draft.reference}/"' not in page
    case_page = client_for(officer).get(reverse("cases:detail", kwargs={"reference": draft.reference})).content.decode()
    assert f'Amendment of permit <a href="/permits/{mine.number}/">{mine.number}</a>' in case_page
    original = (
        client_for(officer).get(reverse("cases:detail", kwargs={"reference": mine.case.reference})).content.decode()
    )
    assert mine.number in original and draft.reference in original
    # A second amendment while this one is open is refused on the page, with nothing written.
    client_for(officer).post(url, {"kind": "extension"})
    assert mine.amendments.count() == 1
    assert Permit.objects.count() == 2


def test_detail_queries_do_not_grow_with_shipments(permits, officer, django_assert_max_num_queries):
    from permits.services import shipment_record

    mine, _ = permits
    first, second = mine.items.all()
    client = client_for(officer)
    url = reverse("permits:detail", kwargs={"number": mine.number})

    def ship(day):
        shipment_record(
            permit=mine,
            actor=officer,
            shipped_on=date(2026, 2, day),
            lines=[
                {"item": first.pk, "quantity": "1", "value": "1.00"},
                {"item": second.pk, "quantity": "1", "value": "1.00"},
            ],
        )

    ship(1)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(2, 8):
        ship(day)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.context["history"]) == 7
