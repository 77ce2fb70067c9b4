"""An import's page follows its job without a reload: htmx polls the progress partial, the bar moves, and the
outcome replaces it when the job ends."""

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from imports.models import ImportJob
from imports.services import _store, import_job_run
from tests.factories import make_user

pytestmark = pytest.mark.browser

CSV = "id,name,aliases,kind,country,instrument,listed_from,listed_to,program,remarks\nE1,Alpha Co,,entity,CN,,,,,\n"


def test_the_import_page_shows_the_counts_and_then_the_outcome_without_a_reload(
    live_server, page, login, shots, transactional_db
):
    admin = make_user(Role.RULE_ADMIN, username="rule.admin")
    # Made directly, not through the upload: in a transactional test the queued task would run at once.
    job = ImportJob.objects.create(
        kind="list",
        requested_by=admin,
        files=_store([("watch.csv", CSV.encode())]),
        options={"list_key": "TEST-LIST", "format": "csv", "name": "", "jurisdiction": "", "effective_from": None},
    )
    login(page, admin)
    page.goto(f"{live_server.url}/imports/{job.pk}/")
    status = page.get_by_role("status")
    expect(status).to_contain_text("Waiting for a worker.")
    page.evaluate("window.notReloaded = true")

    ImportJob.objects.filter(pk=job.pk).update(status="running", stage="writing", done=300, total=1200)
    expect(status).to_contain_text("300 of 1200 rows written (25 %).", timeout=10_000)
    expect(page.locator("#job-progress progress")).to_have_attribute("value", "300")
    shots(page, "running")

    ImportJob.objects.filter(pk=job.pk).update(status="queued", stage="", done=0, total=0)
    assert import_job_run(job_id=job.pk).status == "done"
    expect(page.locator("#job-progress")).to_contain_text("TEST-LIST v1", timeout=10_000)
    expect(status).to_contain_text("1 row written.")
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-get", f"/imports/{job.pk}/progress/")
    assert page.evaluate("window.notReloaded") is True
    shots(page, "done")
