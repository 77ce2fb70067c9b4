"""The re-check benchmark's own parts: the register it writes reads back as the product reads it, and the floor's
one statement builds the same case documents as the re-check's chunks."""

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed_rules():
    import io

    from django.core.management import call_command

    from benchmarks.population import MARKER_TABLE

    call_command("load_rule_pack", publish=True, stdout=io.StringIO())
    yield
    # The marker is no model: the flush after a transactional test leaves it, and a reused test database would
    # then claim a register it no longer holds.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {MARKER_TABLE}")


def test_a_small_register_reads_back_and_is_reused(seed_rules):
    if connection.vendor != "postgresql":
        pytest.skip("the register is written with PostgreSQL's COPY")
    from benchmarks.population import check_sample, populate
    from permits.models import Permit
    from rechecks.models import PermitFacet

    population = populate(60, seed=7, processes=2, verbose=False)
    assert not population.reused and population.rows["permits_permit"] == 60
    assert Permit.objects.filter(status="issued").count() == 60
    assert PermitFacet.objects.values("permit_id").distinct().count() == 60
    check_sample(population, sample=60)  # facets and stored determinations equal the product's own
    again = populate(60, seed=7, verbose=False)
    assert again.reused and again.permit_ids == population.permit_ids
    with pytest.raises(RuntimeError, match="fresh database"):
        populate(61, seed=7, verbose=False)

    from benchmarks.recheck import FLOOR_SQL, floor_documents
    from rechecks.casefacts import case_documents

    with connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL)
        documents = dict(floor_documents(cursor.fetchall()))
    cases = dict(Permit.objects.values_list("pk", "case_id"))
    expected = case_documents(cases.values())
    assert documents == {pk: expected[case_id] for pk, case_id in cases.items()}
