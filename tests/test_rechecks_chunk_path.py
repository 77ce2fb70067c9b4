"""The re-check's chunk path as the benchmark drives it: the party matcher shared by both sides when it would
answer the same on both, case documents from plain SQL, and a chunk's findings unchanged by either."""

from datetime import date

import pytest

from rechecks.models import RecheckRun, Trigger
from rechecks.services import _context, evaluate_permits, recheck_run_create

from .recheck_helpers import pack_variant, permit_on, publish
from .test_rechecks import HO_OXIDE

pytestmark = pytest.mark.django_db


def _run(old, new) -> RecheckRun:
    return recheck_run_create(
        trigger=Trigger.MANUAL,
        old_version=old,
        new_version=new,
        decisive_date=date(2026, 1, 1),
        actor=None,
        scope={"incremental": False},
    )


def test_one_matcher_serves_both_sides_when_lists_and_instruments_agree():
    base = publish(pack_variant("base", drop_rules=["CN-57-1"]))
    new = publish(pack_variant("ann-57"))
    context = _context(_run(base, new))
    assert context["old_matcher"] is context["new_matcher"]


def test_each_side_keeps_its_matcher_when_an_instrument_differs():
    base = publish(pack_variant("base"))
    changed = pack_variant("cited-otherwise")
    changed["instruments"][0]["citation"] += " (corrected)"
    new = publish(changed)
    context = _context(_run(base, new))
    assert context["old_matcher"] is not context["new_matcher"]


def test_a_chunk_finds_the_same_with_the_shared_matcher_as_with_one_per_side(
    officer, reviewer, django_capture_on_commit_callbacks
):
    base = publish(pack_variant("base", drop_rules=["CN-57-1"]))
    permits = [
        permit_on(officer, reviewer, django_capture_on_commit_callbacks, items=[HO_OXIDE]),
        permit_on(officer, reviewer, django_capture_on_commit_callbacks),
    ]
    new = publish(pack_variant("ann-57-now", drop_suspensions=["CN-70-57"]))
    run = _run(base, new)
    ids = [p.pk for p in permits]
    shared, failures = evaluate_permits(run=run, permit_ids=ids)
    assert not failures
    context = _context(run)
    assert context["old_matcher"] is context["new_matcher"]
    # The same chunk with a matcher of its own for the old side, as before the sharing.
    from parties.screening import lists_in_force, loaded_list, make_matcher, stored_dispositions

    lists = [loaded_list(v) for v in lists_in_force(on=run.baseline_date)]
    context["old_matcher"] = make_matcher(lists, context["old_rules"], stored_dispositions())
    separate, failures = evaluate_permits(run=run, permit_ids=ids)
    assert not failures

    def key(findings):
        return [(f.permit_id, f.direction, f.old_outcome, f.new_outcome, f.newly_fired) for f in findings]

    assert key(shared) == key(separate) and [f.permit_id for f in shared] == [permits[0].pk]
