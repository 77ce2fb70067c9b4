"""Journey 2: a reviewer claims a submitted case, reads the screening's reasons and asks for information; the
officer answers; the reviewer recommends approval; a senior reviewer countersigns; the permit appears with its
certificate PDF."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from tests.factories import item_data, make_case, make_user
from tests.permit_helpers import load_rules

pytestmark = pytest.mark.browser

GALLIUM_TO_US = {
    "destination_country": "US",
    "items": [item_data(description="Gallium ingots", control_code="", elements=[{"element": "Ga", "form": "metal"}])],
}


def test_case_goes_from_review_to_permit(live_server, page, login, shots, seeded, ganzhou_officer):
    load_rules()
    reviewer = make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="reviewer")
    senior = make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior.reviewer")
    case = case_submit(case=make_case(ganzhou_officer, **GALLIUM_TO_US), actor=ganzhou_officer)
    case_url = f"{live_server.url}/cases/{case.reference}/"
    page.on("dialog", lambda dialog: dialog.accept())

    # The reviewer finds the case, claims it and reads why the screening decided as it did.
    login(page, reviewer)
    page.goto(f"{live_server.url}/review/")
    shots(page, "reviewer-home")
    page.goto(case_url)
    page.get_by_role("button", name="Claim for review").click()
    expect(page.locator("#review-panel")).to_contain_text("(you)")
    screening = page.locator("#screening")
    expect(screening.get_by_role("heading", name="Why")).to_be_visible()
    shots(page, "claimed-with-screening-reasons")

    # ... and asks the officer for information.
    page.get_by_role("link", name="Request information").first.click()
    page.get_by_label("Your questions").fill("Who is the end user's bank?")
    page.get_by_label("Answer by").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    page.get_by_role("button", name="Send the request").click()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.INFORMATION_REQUESTED

    # The officer answers.
    page.context.clear_cookies()
    login(page, ganzhou_officer)
    page.goto(case_url)
    page.get_by_role("link", name="Answer").click()
    page.get_by_label("Your answer").fill("First Bank of Ohio, Columbus.")
    shots(page, "officer-answers")
    page.get_by_role("button", name="Send the answer").click()
    expect(page.get_by_text("First Bank of Ohio, Columbus.")).to_be_visible()

    # The reviewer recommends approval; the screening's outcome calls for a second pair of eyes.
    page.context.clear_cookies()
    login(page, reviewer)
    page.goto(case_url)
    page.locator("#recommend summary").click()
    page.get_by_label("Decision").select_option("approve")
    page.get_by_label("Reasons (internal)").fill("The end user and its bank check out.")
    page.get_by_role("button", name="Record the recommendation").click()
    expect(page.locator("#review-panel")).to_contain_text("another senior reviewer must countersign")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.AWAITING_COUNTERSIGNATURE

    # A senior reviewer countersigns: the case is approved and its permit issued.
    page.context.clear_cookies()
    login(page, senior)
    page.goto(case_url)
    page.get_by_label("Agree: the decision takes effect").check()
    shots(page, "countersign")
    page.get_by_role("button", name="Record the countersignature").click()
    assert Case.objects.get(pk=case.pk).status == CaseStatus.APPROVED
    permit = Case.objects.get(pk=case.pk).permit

    # The officer sees the permit and downloads its certificate.
    page.context.clear_cookies()
    login(page, ganzhou_officer)
    page.goto(case_url)
    page.locator("#case-permit-title").locator("..").get_by_role("link", name=permit.number).click()
    expect(page.get_by_role("heading", name=re.compile(permit.number))).to_be_visible()
    shots(page, "permit")
    certificate = page.request.get(f"{live_server.url}/permits/{permit.number}/certificate.pdf")
    assert certificate.ok and certificate.headers["content-type"] == "application/pdf"
    assert certificate.body().startswith(b"%PDF")
    expect(page.get_by_role("link", name="Certificate (PDF)")).to_be_visible()
