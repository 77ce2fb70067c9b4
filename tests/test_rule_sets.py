"""Rule-set versions: import, export round trip, drafts, publishing, immutability, failed imports."""

import copy
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from screening.models import PublishedVersionIsImmutable, Rule, RuleSetVersion
from screening.packs import export_pack
from screening.selectors import compiled_rule_set, rule_set_by_label, rule_set_in_force
from screening.services import (
    RulePackInvalid,
    VersionNotDraft,
    rule_delete,
    rule_save,
    rule_set_create_draft,
    rule_set_import,
    rule_set_publish,
)

from .test_engine import SEED

pytestmark = pytest.mark.django_db


@pytest.fixture
def seed_pack():
    return json.loads(SEED.read_text())


@pytest.fixture
def published(seed_pack, rule_admin):
    return rule_set_publish(version=rule_set_import(pack=seed_pack, actor=rule_admin), actor=rule_admin)


def test_round_trip_is_exact(seed_pack, rule_admin):
    version = rule_set_import(pack=seed_pack, actor=rule_admin)
    exported = export_pack(version)
    assert exported == seed_pack


def test_publish_then_versions_never_change(published, rule_admin):
    assert published.status == "published" and published.published_at is not None
    rule = Rule.objects.filter(version=published).first()
    rule.outcome = "prohibited"
    with pytest.raises(PublishedVersionIsImmutable):
        rule.save()
    with pytest.raises(PublishedVersionIsImmutable):
        rule.delete()
    with pytest.raises(VersionNotDraft):
        rule_save(version=published, actor=rule_admin, code=rule.code, data={**export_pack(published)["rules"][0]})
    with pytest.raises(VersionNotDraft):
        rule_set_publish(version=published, actor=rule_admin)


def test_draft_edit_publish_and_both_versions_screen(published, rule_admin):
    draft = rule_set_create_draft(base=published, label="2026.2", actor=rule_admin)
    rule = next(r for r in export_pack(draft)["rules"] if r["code"] == "CN-18-1")
    rule_save(version=draft, actor=rule_admin, code="CN-18-1", data={**rule, "outcome": "case_by_case"})
    draft.refresh_from_db()
    new = rule_set_publish(version=draft, actor=rule_admin)
    assert rule_set_in_force() == new
    assert rule_set_by_label(published.label) == published
    old_rule = next(r for r in compiled_rule_set(published).rules if r.code == "CN-18-1")
    new_rule = next(r for r in compiled_rule_set(new).rules if r.code == "CN-18-1")
    assert (old_rule.outcome, new_rule.outcome) == ("licence_required", "case_by_case")
    event = AuditEvent.objects.get(verb="rule.changed")
    assert event.before["outcome"] == "licence_required" and event.after["outcome"] == "case_by_case"
    assert AuditEvent.objects.filter(verb="ruleset.published").count() == 2


def test_invalid_rule_edit_is_refused_with_paths(published, rule_admin):
    draft = rule_set_create_draft(base=published, label="2026.2", actor=rule_admin)
    rule = next(r for r in export_pack(draft)["rules"] if r["code"] == "CN-61-1-1")
    bad = copy.deepcopy(rule)
    bad["conditions"]["comparator"] = "=>"
    del bad["conditions"]["threshold"]
    with pytest.raises(RulePackInvalid) as info:
        rule_save(version=draft, actor=rule_admin, code="CN-61-1-1", data=bad)
    assert set(info.value.errors) == {"rule.conditions.comparator", "rule.conditions.threshold"}
    assert Rule.objects.get(version=draft, code="CN-61-1-1").conditions == rule["conditions"]


def test_publish_refuses_a_draft_whose_references_do_not_resolve(published, rule_admin):
    draft = rule_set_create_draft(base=published, label="2026.2", actor=rule_admin)
    rule_delete(version=draft, actor=rule_admin, code="CN-18-1")  # the FAQ exclusion still names it
    draft.refresh_from_db()
    with pytest.raises(RulePackInvalid) as info:
        rule_set_publish(version=draft, actor=rule_admin)
    assert any("unknown rule 'CN-18-1'" in m for msgs in info.value.errors.values() for m in msgs)
    assert RuleSetVersion.objects.get(pk=draft.pk).status == "draft"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda p: p["rules"][0].update(provision="CN-NOPE"), "rules[0].provision"),
        (
            lambda p: p["rules"][0]["conditions"].update(control_entries=["9Z999"]),
            "rules[0].conditions.control_entries[0]",
        ),
        (lambda p: p["suspensions"][0].update({"to": "2020-01-01"}), "suspensions[0].to"),
        (lambda p: p["suspensions"][0].update({"by": "NOPE"}), "suspensions[0].by"),
        (lambda p: p["rules"].append(copy.deepcopy(p["rules"][0])), "rules[28].code"),
        (lambda p: p["rules"][3]["conditions"].update(bogus=1), "rules[3].conditions.bogus"),
        (lambda p: p["rules"][3].update(outcome="maybe"), "rules[3].outcome"),
        (lambda p: p["instruments"][0].pop("citation"), "instruments[0].citation"),
        (
            lambda p: p["lists"][0]["entries"].append({"name": "X", "instrument": "NOPE"}),
            "lists[0].entries[0].instrument",
        ),
        (lambda p: p["rules"][1]["conditions"].update(excludes=["NOPE"]), "rules[1].conditions.excludes[0]"),
    ],
)
def test_failed_import_changes_nothing_and_names_the_path(seed_pack, published, rule_admin, mutate, path):
    before = (RuleSetVersion.objects.count(), Rule.objects.count(), AuditEvent.objects.count())
    mutate(seed_pack)
    seed_pack["version"]["label"] = "broken"
    with pytest.raises(RulePackInvalid) as info:
        rule_set_import(pack=seed_pack, actor=rule_admin)
    assert path in info.value.errors
    assert (RuleSetVersion.objects.count(), Rule.objects.count(), AuditEvent.objects.count()) == before
    assert rule_set_in_force() == published


def test_only_rule_admins_change_rule_sets(seed_pack, officer, reviewer):
    for user in (officer, reviewer):
        with pytest.raises(PermissionDenied):
            rule_set_import(pack=seed_pack, actor=user)


def test_load_rule_pack_command_is_idempotent(tmp_path):
    call_command("load_rule_pack", "--publish")
    call_command("load_rule_pack", "--publish")
    assert RuleSetVersion.objects.filter(status="published").count() == 1
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"format": "licensa-rule-pack/1", "version": {"label": "x"}}))
    with pytest.raises(CommandError, match="invalid"):
        call_command("load_rule_pack", str(broken))
    assert not RuleSetVersion.objects.filter(label="x").exists()


def test_diff_names_rows_added_removed_and_changed_field_by_field(seed_pack):
    from screening.rulepack import diff_packs

    new = copy.deepcopy(seed_pack)
    rule = next(r for r in new["rules"] if r["code"] == "CN-61-1-1")
    rule["conditions"]["threshold"] = "0.002"
    rule["outcome"] = "case_by_case"
    new["rules"] = [r for r in new["rules"] if r["code"] != "CN-UEL-1"]
    new["suspensions"].append(
        {
            "key": "NEW",
            "target": {"rule": "CN-18-1"},
            "by": "CN-ANN-70-2025",
            "from": "2027-01-01",
            "to_inclusive": True,
        }
    )
    new["lists"][0]["entries"].append({"id": "CN-CONTROL-X", "name": "New Listed Co."})
    diff = diff_packs(seed_pack, new)
    assert diff["rules"]["changed"] == [
        {
            "key": "CN-61-1-1",
            "fields": {"conditions.threshold": ["0.001", "0.002"], "outcome": ["licence_required", "case_by_case"]},
        }
    ]
    assert [r["code"] for r in diff["rules"]["removed"]] == ["CN-UEL-1"]
    assert [s["key"] for s in diff["suspensions"]["added"]] == ["NEW"]
    assert diff["lists"]["changed"] == [
        {"key": "CN-CONTROL", "fields": {"entries[CN-CONTROL-X]": [None, "New Listed Co."]}}
    ]
    assert set(diff) == {"rules", "suspensions", "lists"}
    assert diff_packs(seed_pack, seed_pack) == {}


def test_dry_run_shows_which_cases_would_change(published, rule_admin, officer, django_capture_on_commit_callbacks):
    from cases.services import case_submit
    from screening.services import rule_set_dry_run

    from .factories import item_data, make_case

    dy = make_case(officer)  # Dy magnets to Germany: licence required under CN-18-1
    plain = make_case(officer, items=[item_data(elements=[{"element": "Nd", "form": "magnet"}], control_code="")])
    for c in (dy, plain):
        with django_capture_on_commit_callbacks(execute=True):
            case_submit(case=c, actor=officer)
    draft = rule_set_create_draft(base=published, label="2026.2", actor=rule_admin)
    rule = next(r for r in export_pack(draft)["rules"] if r["code"] == "CN-18-1")
    rule_save(version=draft, actor=rule_admin, code="CN-18-1", data={**rule, "outcome": "case_by_case"})
    result = rule_set_dry_run(draft=draft)
    assert result["cases_examined"] == 2
    (change,) = result["cases_changed"]
    assert change["case"] == dy.reference
    assert (change["old_outcome"], change["new_outcome"], change["direction"]) == (
        "licence_required",
        "case_by_case",
        "stricter",
    )
    assert RuleSetVersion.objects.get(pk=draft.pk).status == "draft", "a dry run publishes nothing"


def test_any_row_can_be_edited_in_a_draft_with_whole_draft_validation(published, rule_admin):
    from screening.services import rule_set_row_delete, rule_set_row_save

    draft = rule_set_create_draft(base=published, label="2026.2", actor=rule_admin)
    suspension = next(s for s in export_pack(draft)["suspensions"] if s["key"] == "CN-70-61")
    # Extend Ann. 70's suspension of Ann. 61 by a year.
    rule_set_row_save(
        version=draft, actor=rule_admin, section="suspensions", key="CN-70-61", row={**suspension, "to": "2027-11-10"}
    )
    assert next(s for s in export_pack(draft)["suspensions"] if s["key"] == "CN-70-61")["to"] == "2027-11-10"
    # A suspension that names an instrument that does not exist is refused, and nothing changes.
    with pytest.raises(RulePackInvalid) as info:
        rule_set_row_save(
            version=draft,
            actor=rule_admin,
            section="suspensions",
            key="CN-70-61",
            row={**suspension, "by": "CN-ANN-99-2025"},
        )
    assert info.value.errors == {"row.by": ["unknown instrument 'CN-ANN-99-2025'"]}
    assert next(s for s in export_pack(draft)["suspensions"] if s["key"] == "CN-70-61")["by"] == "CN-ANN-70-2025"
    # A new row whose dates are out of order is refused.
    with pytest.raises(RulePackInvalid) as info:
        rule_set_row_save(
            version=draft,
            actor=rule_admin,
            section="suspensions",
            row={**suspension, "key": "NEW", "from": "2026-01-01", "to": "2025-01-01"},
        )
    assert "row.to" in info.value.errors
    rule_set_row_delete(version=draft, actor=rule_admin, section="suspensions", key="CN-70-57")
    assert "CN-70-57" not in {s["key"] for s in export_pack(draft)["suspensions"]}
    verbs = list(AuditEvent.objects.filter(verb__startswith="ruleset.suspensions").values_list("verb", flat=True))
    assert verbs == ["ruleset.suspensions.changed", "ruleset.suspensions.deleted"]
    with pytest.raises(VersionNotDraft):
        rule_set_row_save(version=published, actor=rule_admin, section="suspensions", key="CN-70-61", row=suspension)


def test_dry_run_examines_permits_in_force(
    published, rule_admin, officer, reviewer, django_capture_on_commit_callbacks
):
    from screening.services import rule_set_dry_run

    from .permit_helpers import issue, screened_case

    permit = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    draft = rule_set_create_draft(base=published, label="2026.3", actor=rule_admin)
    rule = next(r for r in export_pack(draft)["rules"] if r["code"] == "CN-18-1")
    rule_save(version=draft, actor=rule_admin, code="CN-18-1", data={**rule, "outcome": "presumption_of_denial"})
    result = rule_set_dry_run(draft=draft)
    assert result["permits_examined"] == 1
    (change,) = result["permits_changed"]
    assert (change["permit"], change["old_outcome"], change["new_outcome"], change["direction"]) == (
        permit.number,
        "licence_required",
        "presumption_of_denial",
        "stricter",
    )
