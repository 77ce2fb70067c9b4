"""Re-checking issued permits: selection, evaluation, idempotency, the scenarios of the domain brief, triage and
who may see what. Tasks run in-process here; tests/test_rechecks_worker.py runs them on real workers."""

import random
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from audit.models import AuditEvent
from parties.models import Disposition, ListEntry, RestrictedList
from parties.services import list_import
from permits.models import Permit, PermitStatus
from rechecks.facets import FULL, permit_facets, touched_facets
from rechecks.models import Finding, PermitFacet, RecheckChunk, RecheckRun, Trigger
from rechecks.services import (
    FindingAlreadyTriaged,
    evaluate_permits,
    facets_backfill,
    recheck_chunk_process,
    recheck_chunk_record,
    recheck_daily_date_check,
    recheck_manual,
    recheck_run_create,
    recheck_run_resume,
    recheck_run_start,
)
from screening.engine.names import name_key

from .factories import item_data, make_organisation, make_user, party_data
from .recheck_helpers import pack_variant, permit_on, publish, seed_pack

pytestmark = pytest.mark.django_db

HO_OXIDE = item_data(
    description="Holmium oxide, 99.9 %",
    control_code="1C909.b",
    hs_code="2846901990",
    elements=[{"element": "Ho", "form": "oxide", "mass_fraction": Decimal("0.87")}],
)
SMCO = item_data(
    description="Sintered SmCo permanent magnets, grade 2:17",
    control_code="",
    hs_code="8505119000",
    produced_in="KR",
    elements=[{"element": "Sm", "form": "magnet", "mass_fraction": Decimal("0.25")}],
    content=[
        {
            "control_code": "1C902.a",
            "element": "Sm",
            "form": "metal",
            "origin_country": "CN",
            "value_share": Decimal("0.005"),
        }
    ],
)


def findings_of(run) -> dict:
    return {
        f.permit_id: (f.direction, f.old_outcome, f.new_outcome, [r["rule"] for r in f.newly_fired])
        for f in Finding.objects.filter(run=run)
    }


# --- Pure parts ------------------------------------------------------------------------------------------------


def test_touched_facets_follow_the_change():
    seed = seed_pack()
    without_57 = pack_variant("a", drop_rules=["CN-57-1"])
    facets = touched_facets(without_57, seed)
    assert ("control_code", "1C909", True) in facets and ("element", "Ho", False) in facets
    assert not any(value.startswith("1C905") for _, value, _ in facets)
    # Ending Ann. 70's suspension of Ann. 61 reaches what Ann. 61's rules reach, party-list rule included: full.
    ended = pack_variant("b", suspension_ends={"CN-70-61": date(2025, 12, 31)})
    assert touched_facets(seed, ended) is FULL
    assert touched_facets(seed, pack_variant("c")) == set()
    # Licence types decide validity only.
    other = pack_variant("d")
    other["licence_types"][0]["max_validity_days"] = 30
    assert touched_facets(seed, other) == set()


def test_permit_facets_of_a_case_document():
    doc = {
        "exporter": {"name": "X", "country": "KR"},
        "destination_country": "VN",
        "items": [
            {
                "description": "m",
                "kind": "goods",
                "control_code": "1c902 .a",
                "elements": [{"element": "Sm", "form": "magnet"}],
                "content": [{"origin_country": "CN", "value_share": 0.005}],
            }
        ],
        "parties": [{"role": "end_user", "name": "Saigon Motor Works JSC", "country": "VN"}],
        "end_use": {"categories": ["civil"]},
    }
    assert permit_facets(doc) == {
        ("destination", "VN"),
        ("control_code", "1C902.A"),
        ("origin", "KR"),
        ("element", "Sm"),
        ("content_origin", "CN"),
        ("end_use", "civil"),
        ("party_category", "commercial"),
        ("party", "VN|Saigon Motor Works JSC"),
    }


def test_bulk_case_documents_equal_case_document(officer, django_capture_on_commit_callbacks):
    from cases.casedoc import case_document
    from cases.models import Case
    from cases.selectors import with_facts
    from rechecks.casefacts import case_documents

    from .factories import make_case

    cases = [
        make_case(officer),
        make_case(officer, items=[SMCO, HO_OXIDE], destination_country="VN", authority_notified=True),
        make_case(
            officer,
            end_use_description="",
            end_use_categories=["military", "civil"],
            items=[
                item_data(
                    kind="technology",
                    control_code="1E902.a",
                    technology_area="magnet_manufacturing",
                    elements=[],
                    hs_code="",
                    quantity_amount=None,
                    quantity_unit="",
                    public_domain=True,
                    technology_origin="CN",
                    origin_country="KR",
                    deep_processed=True,
                )
            ],  # fmt: skip
            parties=[
                party_data(
                    address="",
                    owners=[
                        {"name": "Holding AG", "country": "CH", "share": Decimal("0.6")},
                        {"name": "Anon", "share": Decimal("0.1")},
                    ],
                ),
                party_data(role="consignee", name="Hafen GmbH", category="government"),
            ],  # fmt: skip
        ),
    ]
    expected = {c.pk: case_document(c) for c in with_facts(Case.objects.filter(pk__in=[c.pk for c in cases]))}
    assert case_documents(c.pk for c in cases) == expected


def test_a_permit_is_indexed_once_its_issue_commits(officer, reviewer, django_capture_on_commit_callbacks):
    from cases.services import case_submit

    from .factories import make_case
    from .recheck_helpers import permit_for

    publish(seed_pack())
    case = make_case(officer, items=[HO_OXIDE])
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=case, actor=officer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        permit = permit_for(case, reviewer)
    assert not PermitFacet.objects.filter(permit=permit).exists()  # nothing before the commit
    for callback in callbacks:
        callback()
    facets = set(PermitFacet.objects.filter(permit=permit).values_list("kind", "value"))
    assert {("control_code", "1C909.B"), ("element", "Ho"), ("destination", "DE")} <= facets
    assert facets_backfill() == 0


# --- Scenarios ---------------------------------------------------------------------------------------------------


def test_ann_57_and_the_end_of_its_suspension(officer, reviewer, django_capture_on_commit_callbacks):
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    holmium = permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE])
    magnets = permit_on(officer, reviewer, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        v57 = publish(pack_variant("ann-57"), effective_from=date(2026, 1, 1))
    first = RecheckRun.objects.get(new_version=v57)
    # Only the holmium permit can be touched by Ann. 57; it is suspended by Ann. 70: nothing changes.
    assert (first.status, first.trigger, first.total, first.done, first.changed) == (
        "done",
        "rule_set_published",
        1,
        1,
        0,
    )
    assert first.decisive_date == date(2026, 1, 1)

    with django_capture_on_commit_callbacks(execute=True):
        ended = publish(
            pack_variant("ann-57-end", suspension_ends={"CN-70-57": date(2025, 12, 31)}),
            effective_from=date(2026, 1, 2),
        )
    second = RecheckRun.objects.get(new_version=ended)
    assert (second.status, second.total, second.changed) == ("done", 1, 1)
    assert findings_of(second) == {holmium.pk: ("stricter", "no_licence_required", "licence_required", ["CN-57-1"])}
    finding = Finding.objects.get(run=second)
    assert "Ann" in finding.newly_fired[0]["citation"] or finding.newly_fired[0]["citation"]
    assert magnets.pk not in findings_of(second)
    verbs = set(AuditEvent.objects.filter(target_type="rechecks.recheckrun").values_list("verb", flat=True))
    assert verbs == {"recheck.created", "recheck.completed"}


def test_ann_61_suspension_starting_is_looser_for_a_foreign_maker(reviewer, django_capture_on_commit_callbacks):
    hanbit = make_organisation("Hanbit Magnet Co., Ltd.", country="KR")
    officer = make_user(Role.OFFICER, organisation=hanbit)
    publish(pack_variant("no-70-61", drop_suspensions=["CN-70-61"]))
    permit = permit_on(
        officer,
        reviewer,
        django_capture_on_commit_callbacks,
        destination_country="VN",
        items=[SMCO],
        parties=[party_data(name="Saigon Motor Works JSC", country="VN")],
    )
    with django_capture_on_commit_callbacks(execute=True):
        seed = publish(pack_variant("seed-70"), effective_from=date(2026, 1, 1))
    run = RecheckRun.objects.get(new_version=seed)
    found = findings_of(run)
    assert found[permit.pk][:3] == ("looser", "licence_required", "no_licence_required")
    finding = Finding.objects.get(run=run)
    assert finding.no_longer_fired[0]["rule"] == "CN-61-1-1"
    # Informational: a looser finding is only noted (no reason needed), and the holder hears of it.
    from rechecks.services import finding_triage

    with pytest.raises(Exception, match="not open"):
        finding_triage(finding=finding, actor=reviewer, action="revoke", reason="no")
    with django_capture_on_commit_callbacks(execute=True):
        finding_triage(finding=finding, actor=reviewer, action="noted")
    assert Finding.objects.get(pk=finding.pk).status == "noted"
    assert mail.outbox[0].to == [officer.email] and "CN-61-1-1" in mail.outbox[0].body


def _csv(tmp_path, name, rows):
    path = tmp_path / name
    lines = ["id,name,country,remarks"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_listed_party_makes_stricter_findings_and_a_disposed_false_positive_stays_out(
    officer, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    publish(seed_pack())
    other = ("CN-C-9", "Unrelated Trading Ltd", "US", "")
    list_import(
        list_key="CN-CONTROL", fmt="csv", paths=[_csv(tmp_path, "v1.csv", [other])], actor=None,
        effective_from=date(2026, 1, 1),
    )  # fmt: skip
    stuttgart = permit_on(officer, reviewer, django_capture_on_commit_callbacks)
    bavaria = permit_on(
        officer, reviewer, django_capture_on_commit_callbacks, parties=[party_data(name="Bavaria Magnet Works GmbH")]
    )
    lyon = permit_on(
        officer,
        reviewer,
        django_capture_on_commit_callbacks,
        destination_country="FR",
        parties=[party_data(name="Lyon Moteurs SA", country="FR")],
    )
    s = ("CN-C-1", "Stuttgart Antriebstechnik GmbH", "DE", "")
    b = ("CN-C-2", "Bavaria Magnet Works GmbH", "DE", "")
    with django_capture_on_commit_callbacks(execute=True):
        summary = list_import(
            list_key="CN-CONTROL", fmt="csv", paths=[_csv(tmp_path, "v2.csv", [other, s, b])], actor=None,
            effective_from=date(2026, 2, 1),
        )  # fmt: skip
    run = RecheckRun.objects.get(list_version=summary.version)
    assert (run.trigger, run.status, run.total) == (Trigger.LIST_VERSION_IMPORTED, "done", 2)
    found = findings_of(run)
    assert set(found) == {stuttgart.pk, bavaria.pk}
    assert found[stuttgart.pk][0] == "stricter" and "CN-LIST-CONTROL" in found[stuttgart.pk][3]

    # A reviewer finds Bavaria Magnet Works is not the listed firm.
    b_hash = ListEntry.objects.get(version=summary.version, entry_id="CN-C-2").content_hash
    Disposition.objects.create(
        party_key=name_key("Bavaria Magnet Works GmbH"), party_country="DE", party_name="Bavaria Magnet Works GmbH",
        restricted_list=RestrictedList.objects.get(key="CN-CONTROL"), entry_id="CN-C-2", entry_hash=b_hash,
        decision="false_positive", reason="another firm at another address", decided_by=reviewer,
    )  # fmt: skip
    lyon_entry = ("CN-C-3", "Lyon Moteurs SA", "FR", "")
    with django_capture_on_commit_callbacks(execute=True):
        third = list_import(
            list_key="CN-CONTROL", fmt="csv", paths=[_csv(tmp_path, "v3.csv", [other, s, b, lyon_entry])], actor=None,
            effective_from=date(2026, 3, 1),
        )  # fmt: skip
    assert set(findings_of(RecheckRun.objects.get(list_version=third.version))) == {lyon.pk}

    # The entry changes: the disposition was for its old content, so the hit comes back.
    b_changed = ("CN-C-2", "Bavaria Magnet Works GmbH", "DE", "address added")
    with django_capture_on_commit_callbacks(execute=True):
        fourth = list_import(
            list_key="CN-CONTROL", fmt="csv", paths=[_csv(tmp_path, "v4.csv", [other, s, b_changed, lyon_entry])],
            actor=None, effective_from=date(2026, 4, 1),
        )  # fmt: skip
    found = findings_of(RecheckRun.objects.get(list_version=fourth.version))
    assert set(found) == {bavaria.pk} and found[bavaria.pk][0] == "stricter"

    # Delisted: looser.
    with django_capture_on_commit_callbacks(execute=True):
        fifth = list_import(
            list_key="CN-CONTROL", fmt="csv", paths=[_csv(tmp_path, "v5.csv", [other, b_changed, lyon_entry])],
            actor=None, effective_from=date(2026, 5, 1),
        )  # fmt: skip
    found = findings_of(RecheckRun.objects.get(list_version=fifth.version))
    assert set(found) == {stuttgart.pk} and found[stuttgart.pk][0] == "looser"


def test_a_run_leaves_out_the_permits_whose_validity_ended_before_its_decisive_date(
    officer, reviewer, rule_admin, django_capture_on_commit_callbacks
):
    """A change that takes effect after a permit's validity has ended cannot alter what it allows: such a permit is
    left out even while its status still says issued (the expiry job runs by the calendar). One whose validity
    begins later is kept: the change holds from its date on."""
    from rechecks.services import recheck_manual

    publish(seed_pack())
    current = permit_on(officer, reviewer, django_capture_on_commit_callbacks)  # 2026-01-01 to 2026-12-31
    ended = permit_on(officer, reviewer, django_capture_on_commit_callbacks)
    Permit.objects.filter(pk=ended.pk).update(valid_from=date(2025, 1, 1), valid_to=date(2025, 12, 31))
    assert Permit.objects.get(pk=ended.pk).status == PermitStatus.ISSUED
    runs = {}
    for day in (date(2026, 2, 1), date(2025, 6, 1), date(2027, 1, 1)):
        with django_capture_on_commit_callbacks(execute=True):
            run = recheck_manual(actor=rule_admin, decisive_date=day)
        runs[day] = RecheckRun.objects.get(pk=run.pk)
    assert (runs[date(2026, 2, 1)].total, runs[date(2025, 6, 1)].total, runs[date(2027, 1, 1)].total) == (1, 2, 0)
    assert _chunk_ids(runs[date(2026, 2, 1)]) == [current.pk]
    assert _chunk_ids(runs[date(2025, 6, 1)]) == sorted([current.pk, ended.pk])


def _chunk_ids(run) -> list[int]:
    return sorted(pk for chunk in RecheckChunk.objects.filter(run=run) for pk in chunk.permit_ids)


def test_a_list_import_is_rechecked_under_the_rule_set_in_force_on_its_effective_date(
    officer, reviewer, tmp_path, django_capture_on_commit_callbacks
):
    today_version = publish(seed_pack())
    permit_on(officer, reviewer, django_capture_on_commit_callbacks)
    later = publish(pack_variant("from-2027"), effective_from=date(2027, 3, 1))
    with django_capture_on_commit_callbacks(execute=True):
        summary = list_import(
            list_key="CN-CONTROL", fmt="csv", actor=None, effective_from=date(2027, 3, 15),
            paths=[_csv(tmp_path, "v1.csv", [("CN-C-1", "Stuttgart Antriebstechnik GmbH", "DE", "")])],
        )  # fmt: skip
    run = RecheckRun.objects.get(list_version=summary.version)
    assert run.decisive_date == date(2027, 3, 15)
    assert run.old_version == run.new_version == later != today_version


def test_a_chunk_processed_twice_creates_nothing_twice_and_counts_once(
    officer, reviewer, rule_admin, settings, django_capture_on_commit_callbacks
):
    settings.RECHECK_CHUNK_SIZE = 2
    old = publish(pack_variant("base", drop_rules=["CN-57-1"]))
    permits = [permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE]) for _ in range(3)]
    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    # (no commit callbacks ran: the run is started by hand below)
    run = RecheckRun.objects.get(new_version=new)
    recheck_run_start(run_id=run.pk)
    assert RecheckChunk.objects.filter(run=run).count() == 2
    assert recheck_chunk_process(run_id=run.pk, index=0) == 2
    # A redelivered task: the chunk is done, nothing is written or counted again.
    assert recheck_chunk_process(run_id=run.pk, index=0) == 0
    run.refresh_from_db()
    assert (run.status, run.done, run.changed) == ("running", 2, 2)
    # A second worker read chunk 1 while it was pending and evaluated it; meanwhile the run is resumed (chunk 1
    # queued again, in-process here, so done at once) before that worker records.
    stale = RecheckChunk.objects.get(run=run, index=1)
    assert recheck_run_resume(run=run) == [1]
    findings, failures = evaluate_permits(run=run, permit_ids=stale.permit_ids)
    assert len(findings) == 1
    assert recheck_chunk_record(chunk=stale, findings=findings, failures=failures) == 0
    run.refresh_from_db()
    assert recheck_run_resume(run=run) == []  # nothing left to queue
    assert (run.status, run.total, run.done, run.changed) == ("done", 3, 3, 3)
    assert Finding.objects.filter(run=run).count() == 3
    assert {f.permit_id for f in Finding.objects.filter(run=run)} == {p.pk for p in permits}
    recheck_run_start(run_id=run.pk)  # starting again does nothing
    assert RecheckChunk.objects.filter(run=run).count() == 2
    assert old.pk == run.old_version_id


def test_incremental_equals_full_on_a_random_population(
    officer, reviewer, rule_admin, django_capture_on_commit_callbacks
):
    rng = random.Random(20251107)
    base_pack = pack_variant("rnd-base", drop_suspensions=["CN-70-61"])
    old = publish(base_pack)
    catalogue = [
        {},
        {"items": [HO_OXIDE]},
        {"items": [item_data(control_code="1C904.a", elements=[{"element": "Tb", "form": "magnet"}])]},
        {"items": [item_data(control_code="", elements=[{"element": "Dy", "form": "oxide"}])]},
        {
            "items": [
                item_data(
                    kind="technology",
                    control_code="1E902.a",
                    technology_area="magnet_manufacturing",
                    elements=[],
                    hs_code="",
                    quantity_amount=None,
                    quantity_unit="",
                )
            ]
        },  # fmt: skip
        {
            "items": [item_data(control_code="", elements=[{"element": "Ga", "form": "metal"}])],
            "destination_country": "US",
            "parties": [party_data(name="Acme Gallium Inc", country="US")],
        },  # fmt: skip
        {"end_use_categories": ["military"], "parties": [party_data(category="military")]},
        {"destination_country": "JP", "parties": [party_data(name="Osaka Motor KK", country="JP")]},
    ]
    permits = []
    for _ in range(24):
        overrides = dict(rng.choice(catalogue))
        if "items" in overrides and rng.random() < 0.5:
            overrides["items"] = [
                *overrides["items"],
                item_data(description="NdFeB alloy powder", control_code="1C905.b"),
            ]
        permits.append(permit_on(officer, reviewer, django_capture_on_commit_callbacks, **overrides))
    facets_backfill()
    assert PermitFacet.objects.values("permit").distinct().count() == len(permits)

    seed = seed_pack()
    rule_codes = [r["code"] for r in seed["rules"] if r["type"] != "exclusion"]
    suspension_keys = [s["key"] for s in seed["suspensions"]]
    compared = 0
    for round_ in range(4):
        pack = pack_variant(
            f"rnd-{round_}",
            base=base_pack,
            drop_rules=rng.sample(rule_codes, 2),
            drop_suspensions=rng.sample(suspension_keys, 1),
            suspension_ends={rng.choice(suspension_keys): date(2025, 12, rng.randint(1, 31))},
        )
        changed = rng.choice([r for r in pack["rules"] if r["type"] != "exclusion"])
        changed["outcome"] = rng.choice(["licence_required", "case_by_case", "presumption_of_denial"])
        with django_capture_on_commit_callbacks(execute=True):
            new = publish(pack, effective_from=date(2026, 1, 1))
        incremental = RecheckRun.objects.get(new_version=new, trigger=Trigger.RULE_SET_PUBLISHED)
        with django_capture_on_commit_callbacks(execute=True):
            full = recheck_manual(actor=rule_admin, decisive_date=date(2026, 1, 1), old_version=old, new_version=new)
        full.refresh_from_db()
        assert (incremental.status, full.status) == ("done", "done")
        assert full.total == len(permits)
        assert incremental.total <= full.total
        assert findings_of(incremental) == findings_of(full), f"round {round_}"
        compared += len(findings_of(full))
        old, base_pack = new, pack
    assert compared > 0, "the random changes should change some permit"


def test_daily_check_notices_a_suspension_ending(officer, reviewer, django_capture_on_commit_callbacks):
    publish(pack_variant("ann-57-daily", suspension_ends={"CN-70-57": date(2026, 3, 31)}))
    holmium = permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE])
    assert recheck_daily_date_check(today=date(2026, 3, 15)) is None  # nothing starts or ends that day
    with django_capture_on_commit_callbacks(execute=True):
        run = recheck_daily_date_check(today=date(2026, 4, 1))
    run.refresh_from_db()
    assert (run.trigger, run.baseline_date, run.decisive_date, run.status) == (
        "daily_date_check", date(2026, 3, 31), date(2026, 4, 1), "done"
    )  # fmt: skip
    assert findings_of(run)[holmium.pk][0] == "stricter"
    assert recheck_daily_date_check(today=date(2026, 4, 1)) == run  # once per day
    from rechecks.tasks import recheck_daily

    assert recheck_daily.delay("2026-04-01").get() == run.pk  # what beat calls
    assert RecheckRun.objects.filter(trigger="daily_date_check").count() == 1


# --- Triage and pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def stricter_finding(officer, reviewer, django_capture_on_commit_callbacks):
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE])
    with django_capture_on_commit_callbacks(execute=True):
        publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    return Finding.objects.get()


@pytest.mark.parametrize("action, permit_status", [("keep", "issued"), ("suspend", "suspended"), ("revoke", "revoked")])
def test_triage_actions(stricter_finding, reviewer, action, permit_status, django_capture_on_commit_callbacks):
    from rechecks.services import finding_triage

    with pytest.raises(Exception, match="reason"):
        finding_triage(finding=stricter_finding, actor=reviewer, action=action, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        finding_triage(finding=stricter_finding, actor=reviewer, action=action, reason="Checked with the holder")
    stricter_finding.refresh_from_db()
    stricter_finding.permit.refresh_from_db()
    assert stricter_finding.status == {"keep": "kept", "suspend": "suspended", "revoke": "revoked"}[action]
    assert stricter_finding.permit.status == permit_status
    assert AuditEvent.objects.filter(verb=f"recheck.finding_{action}").count() == 1
    assert len(mail.outbox) == 1 and stricter_finding.permit.number in mail.outbox[0].subject
    with pytest.raises(Exception, match="not open"):
        finding_triage(finding=stricter_finding, actor=reviewer, action="keep", reason="again")


def test_two_reviewers_cannot_both_triage(stricter_finding, reviewer, senior_reviewer):
    from rechecks.services import finding_triage

    stale = Finding.objects.get(pk=stricter_finding.pk)
    finding_triage(finding=stricter_finding, actor=reviewer, action="keep", reason="fine")
    with pytest.raises(FindingAlreadyTriaged):
        finding_triage(finding=stale, actor=senior_reviewer, action="revoke", reason="not fine")
    assert Finding.objects.get(pk=stale.pk).status == "kept"


def test_reapply_makes_a_linked_draft(stricter_finding, reviewer, officer, django_capture_on_commit_callbacks):
    from rechecks.services import finding_triage

    with django_capture_on_commit_callbacks(execute=True):
        finding = finding_triage(
            finding=stricter_finding, actor=reviewer, action="reapply", reason="Ann. 57 now applies"
        )
    assert finding.status == "reapply"
    assert finding.new_case.status == "draft" and finding.new_case.copied_from_id == finding.permit.case_id
    assert finding.new_case.organisation_id == officer.organisation_id
    assert finding.new_case.reference in mail.outbox[0].body
    # The finding's page names the draft; it links to it only for readers its page would not answer 404.
    client = Client()
    client.force_login(reviewer)
    page = client.get(reverse("rechecks:finding", kwargs={"pk": finding.pk})).content.decode()
    case = finding.permit.case
    assert f'<a href="/cases/{case.reference}/">{case.reference}</a>' in page
    assert finding.new_case.reference in page and f'href="/cases/{finding.new_case.reference}/"' not in page
    assert client.get(f"/cases/{finding.new_case.reference}/").status_code == 404


def test_only_reviewers_triage_and_rule_admins_start(stricter_finding, rule_admin, auditor, officer):
    from django.core.exceptions import PermissionDenied

    from rechecks.services import finding_triage

    for actor in (rule_admin, auditor, officer):
        with pytest.raises(PermissionDenied):
            finding_triage(finding=stricter_finding, actor=actor, action="keep", reason="x")
    with pytest.raises(PermissionDenied):
        recheck_manual(actor=auditor, decisive_date=date(2026, 1, 1))
    with pytest.raises(PermissionDenied):
        recheck_run_create(
            trigger="manual",
            new_version=stricter_finding.run.new_version,
            decisive_date=date(2026, 1, 1),
            actor=officer,
        )


def test_pages_and_who_sees_them(
    client, stricter_finding, reviewer, rule_admin, auditor, officer, django_assert_max_num_queries
):
    run = stricter_finding.run
    urls = [
        reverse("rechecks:runs"),
        reverse("rechecks:run", kwargs={"pk": run.pk}),
        reverse("rechecks:run-progress", kwargs={"pk": run.pk}),
        reverse("rechecks:findings"),
        reverse("rechecks:finding", kwargs={"pk": stricter_finding.pk}),
    ]
    client.force_login(officer)
    for url in urls + [reverse("rechecks:run-new")]:
        assert client.get(url).status_code == 404, url
    for user in (reviewer, rule_admin, auditor):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(reviewer)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("rechecks:findings"))
    with django_assert_max_num_queries(10):
        assert client.get(urls[0]).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(urls[1]).status_code == 200
    assert stricter_finding.permit.number in page.content.decode()
    assert "CN-57-1" in client.get(urls[4]).content.decode()
    # A rule admin reads findings but not cases: the case is named without a link to a page that answers 404.
    client.force_login(rule_admin)
    reference = stricter_finding.permit.case.reference
    finding_page = client.get(urls[4]).content.decode()
    assert reference in finding_page and f'href="/cases/{reference}/"' not in finding_page
    assert client.get(f"/cases/{reference}/").status_code == 404
    client.force_login(reviewer)
    progress = client.get(urls[2]).content.decode()
    assert "1 of 1" in progress and "hx-get" not in progress  # a finished run stops polling
    assert client.get(reverse("rechecks:run-new")).status_code == 403
    # A reviewer triages in the browser; an auditor may not.
    client.force_login(auditor)
    url = reverse("rechecks:finding-triage", kwargs={"pk": stricter_finding.pk})
    assert client.post(url, {"action": "keep", "reason": "x"}).status_code == 403
    client.force_login(reviewer)
    assert client.post(url, {"action": "keep", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "keep", "reason": "Checked"}).status_code == 302
    assert Finding.objects.get(pk=stricter_finding.pk).status == "kept"


def test_rule_admin_starts_a_scoped_manual_run(
    client, stricter_finding, rule_admin, officer, django_capture_on_commit_callbacks
):
    client.force_login(rule_admin)
    assert client.get(reverse("rechecks:run-new")).status_code == 200
    bad = client.post(reverse("rechecks:run-new"), {"decisive_date": "2026-02-01", "countries": "Germany"})
    assert bad.status_code == 200 and "Not a country code" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("rechecks:run-new"),
            {"decisive_date": "2026-02-01", "countries": "de", "organisations": [officer.organisation_id]},
        )
    run = RecheckRun.objects.get(trigger=Trigger.MANUAL)
    assert response.status_code == 302
    assert run.scope["countries"] == ["DE"] and run.status == "done" and run.total == 1
    # Compared with the determination the permit was issued on (no Ann. 57 then): stricter.
    assert findings_of(run)[stricter_finding.permit_id][0] == "stricter"
    assert run.created_by == rule_admin
    assert stricter_finding.permit.status == PermitStatus.ISSUED


def test_a_chunk_costs_the_same_few_queries_whatever_its_size(
    officer, reviewer, settings, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.RECHECK_CHUNK_SIZE = 4
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    for _ in range(9):
        permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE])
    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    run = RecheckRun.objects.get(new_version=new)
    recheck_run_start(run_id=run.pk)
    evaluate_permits(run=run, permit_ids=[])  # compiles the rule sets and loads the lists once per process
    counts = []
    for index in (2, 0):  # one permit, then four (neither the last chunk, which also completes the run)
        with CaptureQueriesContext(connection) as queries:
            recheck_chunk_process(run_id=run.pk, index=index)
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 16, counts
    recheck_chunk_process(run_id=run.pk, index=1)
    run.refresh_from_db()
    assert (run.status, run.changed) == ("done", 9)


def test_a_run_whose_selection_breaks_says_it_failed(stricter_finding, rule_admin):
    run = recheck_run_create(
        trigger=Trigger.MANUAL,
        new_version=stricter_finding.run.new_version,
        decisive_date=date(2026, 1, 1),
        actor=rule_admin,
        scope={"incremental": True, "facets": [["not a facet"]]},
    )
    with pytest.raises(ValueError):
        recheck_run_start(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == "failed" and run.finished_at is not None
    assert AuditEvent.objects.get(verb="recheck.failed").after["error"].startswith("ValueError")


def test_the_triage_queue_shows_open_stricter_findings_unless_filtered(client, stricter_finding, reviewer):
    client.force_login(reviewer)
    Finding.objects.filter(pk=stricter_finding.pk).update(status="kept")
    for query in ({}, {"page": "1"}):
        assert stricter_finding.permit.number not in client.get(reverse("rechecks:findings"), query).content.decode()
    page = client.get(reverse("rechecks:findings"), {"status": "kept"}).content.decode()
    assert stricter_finding.permit.number in page and "Licence required" in page


def test_the_resume_command(officer, reviewer, settings, django_capture_on_commit_callbacks):
    import io

    from django.core.management import CommandError, call_command

    settings.RECHECK_CHUNK_SIZE = 1
    publish(pack_variant("base", drop_rules=["CN-57-1"]))
    for _ in range(2):
        permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE])
    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]), effective_from=date(2026, 1, 1))
    run = RecheckRun.objects.get(new_version=new)
    recheck_run_start(run_id=run.pk)  # chunks written; their tasks were lost with the worker
    recheck_chunk_process(run_id=run.pk, index=0)
    out = io.StringIO()
    call_command("recheck_resume", str(run.pk), stdout=out)  # in-process here: the queued chunk runs at once
    assert "1 chunk(s) queued again" in out.getvalue()
    run.refresh_from_db()
    assert (run.status, run.done, run.changed) == ("done", 2, 2)
    with pytest.raises(CommandError):
        call_command("recheck_resume", "999999")


def test_a_triage_stands_when_the_mail_server_is_down(
    stricter_finding, reviewer, settings, django_capture_on_commit_callbacks
):
    from rechecks.services import finding_triage

    settings.EMAIL_BACKEND = "tests.test_mail_delivery_failures.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        finding_triage(finding=stricter_finding, actor=reviewer, action="suspend", reason="Checked with the holder")
    stricter_finding.refresh_from_db()
    assert stricter_finding.status == "suspended" and not mail.outbox
