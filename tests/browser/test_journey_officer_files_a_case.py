"""Journey 1: an officer signs in, files a case with two items and an end user, tries to submit it without the
end-user certificate, reads what is missing, uploads the certificate and submits."""

import re

import pytest
from playwright.sync_api import expect

from cases.models import Case
from cases.vocab import CaseStatus, DocumentType
from tests.factories import PDF_BYTES
from tests.permit_helpers import load_rules

pytestmark = pytest.mark.browser


def test_officer_files_fixes_and_submits_a_case(live_server, page, login, shots, ganzhou_officer):
    load_rules()  # the submission screens the case against the published rule pack, as in production
    page.on("dialog", lambda dialog: dialog.accept())  # "Submit this case?" asks for confirmation

    login(page, ganzhou_officer)
    expect(page).to_have_title(re.compile("Dashboard"))
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    page.get_by_role("link", name="New case").first.click()
    page.get_by_label("Licence requested").select_option("single")
    page.get_by_label("Transaction").select_option("export")
    page.get_by_label("Destination country").select_option("DE")
    page.get_by_label("Intended export date").fill("2026-06-01")
    page.get_by_label("Civil").check()
    page.get_by_label("End use, in your words").fill("Traction motors for electric cars")
    shots(page, "new-case")
    page.get_by_role("button", name="Create draft").click()

    # The edit page: two item lines (the second added in the page by "Add a line") and the end user.
    expect(page.get_by_role("heading", name=re.compile(r"^Edit LIC-"))).to_be_visible()
    reference = re.search(r"LIC-\d{4}-\d+", page.title()).group(0)
    fill_item(page, 0, "Sintered NdFeB magnets, 2.5 wt % Dy", "1C905.a", "500", "42000.00")
    page.get_by_role("button", name="Add a line").click()
    fill_item(page, 1, "NdFeB alloy powder", "1C905.b", "50", "2500.00")
    page.locator("[name=parties-0-role]").select_option("end_user")
    page.locator("[name=parties-0-name]").fill("Stuttgart Antriebstechnik GmbH")
    page.locator("[name=parties-0-address]").fill("Industriestr. 5, 70565 Stuttgart")
    page.locator("[name=parties-0-country]").select_option("DE")
    page.locator("[name=parties-0-category]").select_option("commercial")
    shots(page, "edit-case")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    # Submitting without the end-user certificate: the case stays a draft and the page says what is missing.
    page.get_by_role("button", name="Submit", exact=True).click()
    summary = page.get_by_role("alert").filter(has_text="The case cannot be submitted yet")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Upload the end-user and end-use certificate.")
    shots(page, "completeness-error")
    assert Case.objects.get(reference=reference).status == CaseStatus.DRAFT

    page.get_by_role("link", name="Upload a document").first.click()
    page.get_by_label("Document type").select_option(DocumentType.END_USER_CERTIFICATE)
    page.get_by_label("File").set_input_files(
        files=[{"name": "end-user-certificate.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES}]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("end-user-certificate.pdf uploaded.")).to_be_visible()
    expect(page.get_by_text("Nothing is missing: the case can be submitted.")).to_be_visible()

    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.get_by_text(f"{reference} submitted.")).to_be_visible()
    shots(page, "submitted")

    case = Case.objects.get(reference=reference)
    assert case.status != CaseStatus.DRAFT and case.submitted_at is not None
    assert [i.description for i in case.items.all()] == ["Sintered NdFeB magnets, 2.5 wt % Dy", "NdFeB alloy powder"]
    assert [(p.role, p.name) for p in case.parties.all()] == [("end_user", "Stuttgart Antriebstechnik GmbH")]
    assert case.documents.get().doc_type == DocumentType.END_USER_CERTIFICATE

    # The case list finds it by its end user; the search is saved under a name and exported as CSV.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("textbox", name="Search").fill("stuttgart")
    page.get_by_role("button", name="Filter").click()
    # htmx replaces the results (and the query they save and export) and puts the filters in the address.
    expect(page.locator("#save-search [name=query]")).to_have_value(re.compile(r"^q=stuttgart"))
    expect(page).to_have_url(re.compile(r"\?q=stuttgart&"))
    expect(page.get_by_role("link", name=reference)).to_be_visible()
    page.wait_for_load_state("networkidle")  # leaving the field and pressing Filter both ask; the last one wins
    page.get_by_label("Save these filters as").fill("German end users")
    page.get_by_role("button", name="Save search").click()
    expect(page.get_by_text("Search “German end users” saved.")).to_be_visible()
    expect(page.get_by_role("link", name="German end users")).to_be_visible()
    expect(page.get_by_role("textbox", name="Search")).to_have_value("stuttgart")
    shots(page, "case-list")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    exported = download.value.path().read_text(encoding="utf-8")
    assert exported.startswith("Reference,Status") and reference in exported
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator("#status-counts")).to_contain_text("1")
    shots(page, "dashboard")


def fill_item(page, index: int, description: str, control_code: str, quantity: str, value: str) -> None:
    prefix = f"items-{index}-"
    page.locator(f"[name={prefix}kind]").select_option("goods")
    page.locator(f"[name={prefix}description]").fill(description)
    page.locator(f"[name={prefix}control_code]").fill(control_code)
    page.locator(f"[name={prefix}hs_code]").fill("8505111000")
    page.locator(f"[name={prefix}produced_in]").select_option("CN")
    page.locator(f"[name={prefix}quantity_amount]").fill(quantity)
    page.locator(f"[name={prefix}quantity_unit]").fill("kg")
    page.locator(f"[name={prefix}value_amount]").fill(value)
    page.locator(f"[name={prefix}value_currency]").fill("USD")
