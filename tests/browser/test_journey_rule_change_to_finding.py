"""Journey 3: a rule admin changes a rule set in a draft, reads the dry run, publishes; the re-check run of the
permits in force shows its progress, and the permit the change makes stricter appears in the reviewers' triage
queue."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from cases.services import case_submit
from rechecks.models import Finding, RecheckRun
from tests.factories import item_data, make_case, make_user
from tests.recheck_helpers import pack_variant, permit_for, publish

pytestmark = pytest.mark.browser

HO_OXIDE = item_data(
    description="Holmium oxide, 99.9 %",
    control_code="1C909.b",
    hs_code="2846901990",
    elements=[{"element": "Ho", "form": "oxide", "mass_fraction": Decimal("0.87")}],
)


def test_rule_change_is_dry_run_published_and_rechecked(
    live_server, page, login, shots, seeded, ganzhou_officer, django_capture_on_commit_callbacks
):
    rule_admin = make_user(Role.RULE_ADMIN, username="rule.admin")
    reviewer = make_user(Role.REVIEWER, username="reviewer")
    # In force: the seed pack with Ann. 70's suspension of Ann. 57 running to the end of 2099, so holmium oxide
    # needs no licence; a permit for it is in force.
    publish(pack_variant("2026.1", suspension_ends={"CN-70-57": date(2099, 12, 31)}))
    case = make_case(ganzhou_officer, items=[HO_OXIDE], decisive_date=date(2026, 6, 1))
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=case, actor=ganzhou_officer)
    # Valid from today, so it is in force whenever the test runs.
    permit = permit_for(case, reviewer, valid_from=timezone.localdate())
    page.on("dialog", lambda dialog: dialog.accept())

    # The rule admin drafts a new version without the suspension.
    login(page, rule_admin)
    page.goto(f"{live_server.url}/rules/")
    page.get_by_label("Start from").select_option("2026.1")
    page.get_by_label("Label of the new draft").fill("2026.2")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", name=re.compile("2026.2"))).to_be_visible()
    page.get_by_role("button", name="Delete CN-70-57").click()
    expect(page.get_by_role("button", name="Delete CN-70-57")).to_have_count(0)

    # The dry run names the permit that the draft would make stricter.
    page.get_by_role("link", name="Dry run").click()
    expect(page.locator("main")).to_contain_text(permit.number)
    shots(page, "dry-run")
    page.go_back()

    page.get_by_role("button", name="Publish").click()
    expect(page.locator("main")).to_contain_text("Published")

    # Publishing starts a re-check of the permits in force; its page shows the progress.
    run = RecheckRun.objects.get(new_version__label="2026.2")
    page.goto(f"{live_server.url}/rechecks/")
    page.get_by_role("link", name=f"#{run.pk}", exact=True).click()
    progress = page.locator("#run-progress")
    expect(progress).to_contain_text("1 of 1 permits checked (100 %), 1 changed")
    shots(page, "recheck-run")

    # The reviewer finds the stricter finding in the triage queue.
    page.context.clear_cookies()
    login(page, reviewer)
    page.goto(f"{live_server.url}/rechecks/findings/")
    expect(page.locator("main")).to_contain_text(permit.number)
    shots(page, "triage-queue")
    finding = Finding.objects.get(permit=permit)
    assert finding.direction == "stricter"
