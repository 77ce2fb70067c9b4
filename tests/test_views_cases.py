"""The officer's pages: status codes, templates, form errors beside fields with nothing written, and the
whole journey from a new draft to a submitted case."""

from datetime import date
from decimal import Decimal

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case, Document
from cases.services import case_save_draft, case_submit

from .factories import PDF_BYTES, item_data, make_case, make_user, party_data

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, case: Case, **kwargs) -> str:
    return reverse(f"cases:{name}", kwargs={"reference": case.reference, **kwargs})


def page_data(response, *names: str) -> dict:
    """What a browser would send back for the page's forms as rendered: their current values, unchanged."""
    data: dict = {}
    version = response.context.get("version")
    if version is not None:
        data["version"] = str(version)
    for name in names:
        obj = response.context[name]
        if hasattr(obj, "management_form"):
            for bound in obj.management_form:
                data[bound.html_name] = str(bound.value())
            form_list = obj.forms
        else:
            form_list = [obj]
        for form in form_list:
            for bound in form:
                value = bound.value()
                if isinstance(bound.field, forms.BooleanField):
                    if value:
                        data[bound.html_name] = "on"
                elif isinstance(value, list | tuple):
                    data[bound.html_name] = [str(v) for v in value]
                elif value is None:
                    data[bound.html_name] = ""
                elif isinstance(value, date):
                    data[bound.html_name] = value.isoformat()
                else:
                    data[bound.html_name] = str(value)
    return data


def templates(response) -> list[str]:
    return [t.name for t in response.templates]


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


# --- list --------------------------------------------------------------------------------------------------------


def test_case_list_shows_own_organisation_only(officer, other_officer):
    mine = make_case(officer, with_certificate=False)
    theirs = make_case(other_officer, with_certificate=False)
    response = client_for(officer).get(reverse("cases:list"))
    assert response.status_code == 200
    assert "cases/case_list.html" in templates(response)
    assert mine.reference in response.text
    assert theirs.reference not in response.text
    assert "<title>Cases · Licensa</title>" in response.text


def test_case_list_filters_by_status_destination_and_text(officer):
    to_germany = make_case(officer)
    to_japan = make_case(officer, with_certificate=False, destination_country="JP")
    submitted = case_submit(case=make_case(officer, parties=[party_data(name="Osaka Motors KK")]), actor=officer)
    client = client_for(officer)

    page = client.get(reverse("cases:list"), {"status": "submitted"}).text
    assert submitted.reference in page and to_germany.reference not in page

    page = client.get(reverse("cases:list"), {"destination": "JP"}).text
    assert to_japan.reference in page and to_germany.reference not in page

    page = client.get(reverse("cases:list"), {"q": "osaka"}).text
    assert submitted.reference in page and to_japan.reference not in page


def test_case_list_bad_filter_shows_error(officer):
    make_case(officer, with_certificate=False)
    response = client_for(officer).get(reverse("cases:list"), {"status": "approved-by-magic"})
    assert response.status_code == 200
    assert response.context["filter_form"].errors["status"]


def test_case_list_htmx_request_gets_results_only(officer):
    case = make_case(officer, with_certificate=False)
    response = client_for(officer).get(reverse("cases:list"), {"q": case.reference}, headers={"HX-Request": "true"})
    assert templates(response)[0] == "cases/_case_results.html"
    assert "<html" not in response.text and case.reference in response.text
    assert "HX-Request" in response["Vary"]


def test_case_list_is_paginated(officer):
    for _ in range(27):
        make_case(officer, with_certificate=False, items=[], parties=[])
    client = client_for(officer)
    first = client.get(reverse("cases:list"))
    assert len(first.context["page"].object_list) == 25
    second = client.get(reverse("cases:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 2


def test_case_list_queries_do_not_grow_with_cases(officer, django_assert_max_num_queries):
    client = client_for(officer)
    for _ in range(2):
        make_case(officer, with_certificate=False)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("cases:list"))
    for _ in range(48):
        make_case(officer, with_certificate=False, items=[item_data(), item_data()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("cases:list"), {"page": 2})
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.count == 50


# --- new case ----------------------------------------------------------------------------------------------------


def test_new_case_form_and_create(officer):
    client = client_for(officer)
    response = client.get(reverse("cases:new"))
    assert response.status_code == 200 and "cases/case_new.html" in templates(response)
    response = client.post(
        reverse("cases:new"),
        {
            "case-licence_type": "single",
            "case-transaction": "export",
            "case-destination_country": "DE",
            "case-decisive_date": "2025-09-01",
            "case-end_use_categories": ["civil"],
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == url("edit", case)
    assert case.organisation == officer.organisation and case.filed_by == officer
    assert case.decisive_date == date(2025, 9, 1) and case.end_use_categories == ["civil"]


def test_new_case_bad_country_shows_error_and_creates_nothing(officer):
    response = client_for(officer).post(
        reverse("cases:new"),
        {"case-licence_type": "single", "case-transaction": "export", "case-destination_country": "XX"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["destination_country"]
    assert 'id="id_case-destination_country"' in response.text
    assert "There is a problem" in response.text
    assert not Case.objects.exists()


def test_reviewer_may_not_create_cases(reviewer):
    assert client_for(reviewer).get(reverse("cases:new")).status_code == 403


# --- detail ------------------------------------------------------------------------------------------------------


def test_detail_shows_facts_documents_check_and_trail(officer):
    case = make_case(
        officer,
        with_certificate=True,
        items=[
            item_data(
                content=[{"origin_country": "CN", "value_share": Decimal("0.005"), "element": "Sm", "form": "metal"}]
            )
        ],
        parties=[
            party_data(owners=[{"name": "Stuttgart Holding AG", "country": "DE", "share": Decimal("0.75")}]),
        ],
    )
    response = client_for(officer).get(url("detail", case))
    assert response.status_code == 200 and "cases/case_detail.html" in templates(response)
    page = response.text
    assert f"<title>Case {case.reference} (Draft) · Licensa</title>" in page
    assert "Sintered NdFeB magnets" in page and "Dysprosium (Dy)" in page and "2.5 %" in page
    assert "Samarium (Sm)" in page and "0.5 %" in page
    assert "Stuttgart Antriebstechnik GmbH" in page and "Stuttgart Holding AG" in page and "75 %" in page
    document = case.documents.get()
    assert url("download", case, document_id=document.pk) in page
    assert "/media/" not in page
    assert "Nothing is missing" in page
    assert "created the case" in page and "added a document" in page
    for action in ("edit", "upload", "submit", "withdraw", "copy"):
        assert url(action, case) in page


def test_detail_of_draft_lists_what_is_missing(officer):
    case = make_case(officer, with_certificate=False, parties=[party_data(role="consignee")])
    response = client_for(officer).get(url("detail", case))
    assert "Name the end user." in response.text
    assert "Upload the end-user and end-use certificate." in response.text


# --- edit: header, items, parties --------------------------------------------------------------------------------


def test_edit_page_round_trip_keeps_everything(officer):
    """Saving the edit page unchanged changes no fact, and keeps the composition and owners it does not show."""
    case = make_case(
        officer, parties=[party_data(owners=[{"name": "Holding", "country": "DE", "share": Decimal("0.5")}])]
    )
    client = client_for(officer)
    response = client.get(url("edit", case))
    assert response.status_code == 200 and "cases/case_edit.html" in templates(response)
    data = page_data(response, "header", "items", "parties")
    response = client.post(url("edit", case), data)
    assert response.status_code == 302, response.context and response.context["error_summary"]
    case = fresh(case)
    item = case.items.get()
    assert item.value_amount == Decimal("42000.00") and item.elements.get().mass_fraction == Decimal("0.025")
    assert case.parties.get().owners.get().share == Decimal("0.5")
    assert case.decisive_date == date(2025, 6, 1) and case.end_use_categories == ["civil"]
    assert not AuditEvent.objects.filter(verb="case.edited").exists()  # nothing changed, nothing to record


def test_edit_changes_header_items_and_parties_together(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    data = page_data(client.get(url("edit", case)), "header", "items", "parties")
    data.update(
        {
            "case-destination_country": "JP",
            "items-0-value_amount": "43000.50",
            # the blank extra row becomes a second line
            "items-1-kind": "technology",
            "items-1-description": "Sintering process parameters",
            "items-1-technology_area": "magnet_manufacturing",
            "items-1-value_amount": "1000",
            "items-1-value_currency": "usd",
            # the existing party goes, a new end user comes
            "parties-0-DELETE": "on",
            "parties-1-role": "end_user",
            "parties-1-name": "Osaka Motors KK",
            "parties-1-country": "JP",
            "parties-1-category": "commercial",
        }
    )
    response = client.post(url("edit", case), data)
    assert response.status_code == 302 and response["Location"] == url("detail", case)
    case = fresh(case)
    assert case.destination_country == "JP"
    lines = list(case.items.all())
    assert [line.value_amount for line in lines] == [Decimal("43000.50"), Decimal("1000.00")]
    assert lines[1].value_currency == "USD" and lines[1].technology_area == "magnet_manufacturing"
    assert lines[0].elements.count() == 1  # the first line kept its composition
    assert [p.name for p in case.parties.all()] == ["Osaka Motors KK"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("items-0-value_amount", "-5"),
        ("items-0-value_amount", "12.345"),
        ("items-0-value_currency", "dollars"),
        ("items-0-produced_in", "XX"),
        ("items-0-hs_code", "85A5"),
        ("parties-0-country", "Narnia"),
        ("parties-0-name", ""),
        ("case-decisive_date", "2025-02-30"),
    ],
)
def test_edit_with_a_bad_field_shows_the_error_beside_it_and_writes_nothing(officer, field, value):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    data = page_data(client.get(url("edit", case)), "header", "items", "parties")
    # a valid change elsewhere on the page must not be saved either
    data["case-end_use_description"] = "Changed on the same page"
    data["items-1-description"] = "A second line that must not appear"
    data[field] = value
    response = client.post(url("edit", case), data)
    assert response.status_code == 200
    summary = response.context["error_summary"]
    assert summary and summary[0]["anchor"] == "id_" + field
    # the message is rendered beside the field, inside its crispy wrapper
    assert f'id="error_1_id_{field}"' in response.text
    case_after = fresh(case)
    assert case_after.version == case.version
    assert case_after.end_use_description == "Traction motors for electric cars"
    assert case_after.items.count() == 1 and case_after.items.get().value_amount == Decimal("42000.00")
    assert case_after.parties.get().country == "DE"


def test_edit_with_stale_version_says_changed_by_someone_else(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    data = page_data(client.get(url("edit", case)), "header", "items", "parties")
    case_save_draft(case=fresh(case), actor=officer, data={"end_use_description": "Someone else's words"})
    data["case-end_use_description"] = "My words"
    response = client.post(url("edit", case), data)
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert fresh(case).end_use_description == "Someone else's words"
    # posting the same stale page again still does not overwrite
    response = client.post(url("edit", case), page_data(response, "header", "items", "parties"))
    assert response.status_code == 409


def test_add_a_line_without_javascript(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    data = page_data(client.get(url("edit", case)), "header", "items", "parties")
    data["add_item"] = "1"
    response = client.post(url("edit", case), data)
    assert response.status_code == 302 and response["Location"] == url("edit", case) + "?add=items#items-end"
    response = client.get(response["Location"])
    assert len(response.context["items"].forms) == 3  # the line plus two blank rows
    assert 'id="items-empty-row"' in response.text  # the row JavaScript copies instead


def test_submitted_case_cannot_be_edited(officer):
    case = case_submit(case=make_case(officer), actor=officer)
    client = client_for(officer)
    for name in ("edit", "upload"):
        response = client.get(url(name, case))
        assert response.status_code == 302 and response["Location"] == url("detail", case)
    response = client.get(url("composition", case, line=1), follow=True)
    assert "only a draft can be changed" in response.text


# --- composition and owners --------------------------------------------------------------------------------------


def test_composition_edits_one_line_and_keeps_the_others(officer):
    case = make_case(officer, with_certificate=False, items=[item_data(), item_data(description="Second line")])
    client = client_for(officer)
    response = client.get(url("composition", case, line=2))
    assert response.status_code == 200 and "cases/item_composition.html" in templates(response)
    data = page_data(response, "elements", "content")
    data.update(
        {
            "elements-0-mass_fraction": "0.3",
            "content-0-origin_country": "CN",
            "content-0-element": "Sm",
            "content-0-form": "metal",
            "content-0-control_code": "1C902.a",
            "content-0-value_share": "0.005",
        }
    )
    response = client.post(url("composition", case, line=2), data)
    assert response.status_code == 302
    first, second = fresh(case).items.all()
    assert first.elements.get().mass_fraction == Decimal("0.025")
    assert second.elements.get().mass_fraction == Decimal("0.3")
    content = second.content.get()
    assert content.value_share == Decimal("0.005") and content.origin_country == "CN"


@pytest.mark.parametrize(
    ("field", "value"),
    [("elements-0-mass_fraction", "1.5"), ("content-0-value_share", "1.01"), ("content-0-origin_country", "ZZ")],
)
def test_composition_bad_share_or_country_shows_error_and_writes_nothing(officer, field, value):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    data = page_data(client.get(url("composition", case, line=1)), "elements", "content")
    data.update({"content-0-origin_country": "CN", "content-0-value_share": "0.1", field: value})
    response = client.post(url("composition", case, line=1), data)
    assert response.status_code == 200
    assert response.context["error_summary"][0]["anchor"] == "id_" + field
    assert f'id="error_1_id_{field}"' in response.text
    item = fresh(case).items.get()
    assert item.content.count() == 0 and item.elements.get().mass_fraction == Decimal("0.025")
    assert fresh(case).version == case.version


def test_composition_of_a_line_that_does_not_exist_is_404(officer):
    case = make_case(officer, with_certificate=False)
    assert client_for(officer).get(url("composition", case, line=2)).status_code == 404


def test_owners_page_saves_owners(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    response = client.get(url("owners", case, line=1))
    assert response.status_code == 200 and "cases/party_owners.html" in templates(response)
    data = page_data(response, "owners")
    data.update({"owners-0-name": "Stuttgart Holding AG", "owners-0-country": "DE", "owners-0-share": "0.6"})
    assert client.post(url("owners", case, line=1), data).status_code == 302
    assert fresh(case).parties.get().owners.get().share == Decimal("0.6")

    data = page_data(client.get(url("owners", case, line=1)), "owners")
    data["owners-0-share"] = "2"
    response = client.post(url("owners", case, line=1), data)
    assert response.status_code == 200 and response.context["owners"].forms[0].errors["share"]
    assert fresh(case).parties.get().owners.get().share == Decimal("0.6")


# --- documents ---------------------------------------------------------------------------------------------------


def test_upload_and_download_a_certificate(officer):
    case = make_case(officer, with_certificate=False)
    client = client_for(officer)
    response = client.get(url("upload", case))
    assert response.status_code == 200 and "cases/document_upload.html" in templates(response)
    upload = SimpleUploadedFile("certificate.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(url("upload", case), {"doc_type": "end_user_certificate", "file": upload})
    assert response.status_code == 302
    document = Document.objects.get(case=case)
    assert document.original_name == "certificate.pdf" and document.content_type == "application/pdf"

    response = client.get(url("download", case, document_id=document.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="certificate.pdf"' in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("certificate.docx", PDF_BYTES, "but its name ends in"),
        ("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" * 4, "Only PDF, PNG"),
    ],
)
def test_upload_rejected_shows_the_reason_beside_the_file_field(officer, name, content, message):
    case = make_case(officer, with_certificate=False)
    response = client_for(officer).post(
        url("upload", case), {"doc_type": "contract", "file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors["file"][0]
    assert 'id="error_1_id_file"' in response.text
    assert not Document.objects.exists()


def test_upload_too_large_is_refused(officer, settings):
    settings.DOCUMENT_MAX_BYTES = 20
    case = make_case(officer, with_certificate=False)
    response = client_for(officer).post(
        url("upload", case), {"doc_type": "contract", "file": SimpleUploadedFile("c.pdf", PDF_BYTES)}
    )
    assert "larger than" in response.context["form"].errors["file"][0]
    assert not Document.objects.exists()


def test_download_of_a_document_of_another_case_is_404(officer):
    a = make_case(officer)
    b = make_case(officer)
    document_of_b = b.documents.get()
    assert client_for(officer).get(url("download", a, document_id=document_of_b.pk)).status_code == 404


def test_remove_a_document(officer):
    case = make_case(officer)
    document = case.documents.get()
    response = client_for(officer).post(url("document-remove", case, document_id=document.pk))
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()


# --- submit, withdraw, copy --------------------------------------------------------------------------------------


def test_submit_of_incomplete_case_lists_every_problem_and_changes_nothing(officer):
    case = make_case(
        officer,
        with_certificate=False,
        items=[item_data(value_amount=None, value_currency="")],
        parties=[party_data(role="consignee")],
    )
    response = client_for(officer).post(url("submit", case), {"version": case.version})
    assert response.status_code == 200 and "cases/case_detail.html" in templates(response)
    assert "The case cannot be submitted yet" in response.text
    problems = [p.message for p in response.context["submit_problems"]]
    assert len(problems) == 3
    for message in problems:
        assert message in response.text
    after = fresh(case)
    assert after.status == "draft" and after.version == case.version


def test_submit_complete_case(officer):
    case = make_case(officer)
    response = client_for(officer).post(url("submit", case), {"version": case.version})
    assert response.status_code == 302
    assert fresh(case).status == "submitted"


def test_submit_from_a_stale_page_is_refused(officer):
    case = make_case(officer)
    stale_version = case.version
    case_save_draft(case=case, actor=officer, data={"end_use_description": "changed meanwhile"})
    response = client_for(officer).post(url("submit", case), {"version": stale_version}, follow=True)
    assert "changed by someone else" in response.text
    assert fresh(case).status == "draft"


def test_withdraw_needs_a_reason(officer):
    case = case_submit(case=make_case(officer), actor=officer)
    client = client_for(officer)
    response = client.post(url("withdraw", case), {"reason": "", "version": case.version})
    assert response.status_code == 200 and response.context["withdraw_form"].errors["reason"]
    assert fresh(case).status == "submitted"
    response = client.post(url("withdraw", case), {"reason": "Order cancelled", "version": case.version})
    assert response.status_code == 302
    assert fresh(case).status == "withdrawn"
    assert AuditEvent.objects.get(verb="case.withdraw").message == "Order cancelled"


def test_copy_redirects_to_the_new_draft(officer):
    original = case_submit(case=make_case(officer), actor=officer)
    response = client_for(officer).post(url("copy", original))
    copy = Case.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302 and response["Location"] == url("detail", copy)
    assert copy.status == "draft" and copy.copied_from == original and copy.items.count() == 1


# --- reviewers read, never write ---------------------------------------------------------------------------------


def test_reviewer_reads_a_submitted_case_read_only(officer, reviewer):
    case = case_submit(case=make_case(officer), actor=officer)
    client = client_for(reviewer)
    response = client.get(url("detail", case))
    assert response.status_code == 200
    assert "shown read-only" in response.text
    for action in ("edit", "upload", "submit", "withdraw", "copy"):
        assert url(action, case) not in response.text
    document = case.documents.get()
    assert client.get(url("download", case, document_id=document.pk)).status_code == 200
    assert client.get(url("edit", case)).status_code == 403
    for action in ("submit", "withdraw", "copy"):
        assert client.post(url(action, case), {"reason": "x", "version": case.version}).status_code == 403
    assert fresh(case).status == "submitted" and Case.objects.count() == 1


def test_reviewer_does_not_see_drafts(officer, reviewer, auditor):
    case = make_case(officer)
    for user in (reviewer, auditor):
        assert client_for(user).get(url("detail", case)).status_code == 404


# --- the whole journey -------------------------------------------------------------------------------------------


def test_officer_journey_from_new_draft_to_submitted(org):
    officer = make_user(Role.OFFICER, organisation=org)
    client = client_for(officer)

    # 1. a new draft
    response = client.post(
        reverse("cases:new"),
        {
            "case-licence_type": "single",
            "case-transaction": "export",
            "case-destination_country": "DE",
            "case-decisive_date": "2025-10-01",
            "case-end_use_categories": ["civil", "rare_earth_magnet_manufacturing"],
            "case-end_use_description": "Traction motors",
        },
    )
    case = Case.objects.get()
    assert response["Location"] == url("edit", case)

    # 2. item lines and parties on the edit page
    data = page_data(client.get(url("edit", case)), "header", "items", "parties")
    data.update(
        {
            "items-0-kind": "goods",
            "items-0-description": "Sintered NdFeB magnets, 2.5 wt % Dy",
            "items-0-control_code": "1C905.a",
            "items-0-hs_code": "8505111000",
            "items-0-produced_in": "CN",
            "items-0-quantity_amount": "500",
            "items-0-quantity_unit": "kg",
            "items-0-value_amount": "42000.00",
            "items-0-value_currency": "EUR",
            "parties-0-role": "end_user",
            "parties-0-name": "Stuttgart Antriebstechnik GmbH",
            "parties-0-country": "DE",
            "parties-0-category": "commercial",
        }
    )
    assert client.post(url("edit", case), data).status_code == 302

    # 3. the line's composition
    data = page_data(client.get(url("composition", case, line=1)), "elements", "content")
    data.update({"elements-0-element": "Dy", "elements-0-form": "magnet", "elements-0-mass_fraction": "0.025"})
    assert client.post(url("composition", case, line=1), data).status_code == 302

    # 4. the check still wants the certificate: submitting now lists it and changes nothing
    response = client.post(url("submit", case), {"version": fresh(case).version})
    assert [p.code for p in response.context["submit_problems"]] == ["no_end_user_certificate"]

    # 5. upload the certificate
    upload = SimpleUploadedFile("euc.pdf", PDF_BYTES, content_type="application/pdf")
    assert client.post(url("upload", case), {"doc_type": "end_user_certificate", "file": upload}).status_code == 302

    # 6. submit
    response = client.get(url("detail", case))
    assert "Nothing is missing" in response.text
    response = client.post(url("submit", case), {"version": response.context["case"].version}, follow=True)
    assert response.status_code == 200 and "submitted." in response.text
    case = fresh(case)
    assert case.status == "submitted" and case.submitted_at is not None
    item = case.items.get()
    assert item.value_amount == Decimal("42000.00") and item.elements.get().element == "Dy"
    verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
    assert verbs == ["case.created", "case.edited", "case.edited", "case.document_added", "case.submit"]


def test_officer_of_same_org_sees_colleagues_cases(org, officer):
    colleague = make_user(Role.OFFICER, organisation=org)
    case = make_case(officer, with_certificate=False)
    assert client_for(colleague).get(url("detail", case)).status_code == 200
