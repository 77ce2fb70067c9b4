"""The indexes of cases_case and audit_auditevent: none that another one covers (each is written on every update
of a case, none of which is a HOT update, and on every audit event), and the queries that used the dropped ones
still planned on an index (cases/migrations/0008, audit/migrations/0003)."""

import pytest
from django.db import connection, transaction

from audit.selectors import audit_events_for_case
from cases.models import Case
from cases.selectors import cases_visible_to
from search.selectors import case_search

from .factories import make_case

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the pattern indexes and the plans are PostgreSQL's"),
]


def indexes_of(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def columns_of(definition: str) -> str:
    return definition.split(" USING ", 1)[1]


def test_no_case_index_is_covered_by_another():
    indexes = indexes_of("cases_case")
    columns = {columns_of(definition) for definition in indexes.values()}
    # Each of these is the first column of a wider index (or, for the patterns, matched by no query).
    for covered in (
        "btree (organisation_id)",
        "btree (status)",
        "btree (status varchar_pattern_ops)",
        "btree (reference varchar_pattern_ops)",
    ):
        assert covered not in columns
    assert "btree (organisation_id, status, created_at DESC)" in columns
    assert "btree (status, created_at DESC, id DESC)" in columns
    # Set on a few cases only, so indexed only where set.
    assert indexes["case_copied_from_idx"].endswith("(copied_from_id) WHERE (copied_from_id IS NOT NULL)")
    assert indexes["case_amends_permit_idx"].endswith("(amends_permit_id) WHERE (amends_permit_id IS NOT NULL)")
    assert len(indexes) == 14


def test_no_audit_index_is_covered_by_another():
    columns = {columns_of(definition) for definition in indexes_of("audit_auditevent").values()}
    assert "btree (case_id)" not in columns and "btree (verb varchar_pattern_ops)" not in columns
    assert {"btree (case_id, at)", "btree (verb)"} <= columns
    assert len(columns) == 7


def plan_of(queryset) -> str:
    # With a handful of rows the planner rightly prefers a scan; forbidding scans shows which index answers the
    # query as a large table would.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return queryset.explain()


def test_the_queries_of_the_dropped_indexes_still_use_an_index(officer, reviewer):
    case = make_case(officer, with_certificate=False)
    # An officer's list: the index on organisation, status and creation.
    assert "cases_case_organis_537823_idx" in plan_of(cases_visible_to(officer))
    # The review lists' open cases and the status filter of the authority's list.
    assert "case_status_created_idx" in plan_of(Case.objects.filter(status__in=["submitted", "in_review"]))
    assert "case_status_created_idx" in plan_of(case_search(user=reviewer, status="submitted"))
    # A case by its reference: the unique index.
    assert "cases_case_reference_key" in plan_of(Case.objects.filter(reference=case.reference))
    # A permit's amendments, and the copies cleared when a case is deleted: the partial indexes.
    assert "case_amends_permit_idx" in plan_of(Case.objects.filter(amends_permit_id=1))
    assert "case_copied_from_idx" in plan_of(Case.objects.filter(copied_from_id__in=[case.pk]))
    # The case page's timeline.
    assert "audit_audit_case_id_a7126d_idx" in plan_of(audit_events_for_case(case=case))
