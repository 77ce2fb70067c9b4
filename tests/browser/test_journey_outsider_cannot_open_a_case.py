"""Journey 4: an officer of another organisation cannot open a case by its URL, nor any page beneath it."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_case

pytestmark = pytest.mark.browser


def test_officer_of_another_organisation_gets_not_found(
    live_server, page, login, shots, ganzhou_officer, baotou_officer
):
    case = make_case(ganzhou_officer)
    document = case.documents.get()
    login(page, baotou_officer)

    for path in (
        f"/cases/{case.reference}/",
        f"/cases/{case.reference}/edit/",
        f"/cases/{case.reference}/documents/new/",
        f"/cases/{case.reference}/documents/{document.pk}/",
    ):
        response = page.goto(live_server.url + path)
        # The same answer as for a case that does not exist: outsiders do not learn that it does.
        assert response.status == 404, path
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(case.reference)
    shots(page, "not-found")

    # Nor does the case list, a search for its reference or the CSV export show it.
    page.goto(f"{live_server.url}/cases/?q={case.reference}")
    expect(page.get_by_text("No cases match.")).to_be_visible()
    shots(page, "case-list-without-it")
    export = page.request.get(f"{live_server.url}/search/cases.csv")
    assert export.ok and case.reference not in export.text()

    # Its own officer opens it.
    page.context.clear_cookies()
    login(page, ganzhou_officer)
    assert page.goto(f"{live_server.url}/cases/{case.reference}/").status == 200
    expect(page.get_by_role("heading", name=case.reference)).to_be_visible()
