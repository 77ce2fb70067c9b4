"""The intake benchmark's parts: a client's share of cases goes through create, upload and submit as the
benchmark sends them, and the database CPU figure reads the client's own PostgreSQL backend. Speed is measured
by `make bench`, never here."""

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from benchmarks import intake
from cases.models import Case

pytestmark = pytest.mark.django_db


def test_a_share_of_cases_is_created_uploaded_and_submitted(officer):
    client = intake._client(Token.objects.create(user=officer).key)
    timings = intake._file_share(client, [7, 8], items=5, parties=3)
    assert len(timings) == 2 and all(t > 0 for call in timings for t in call)
    cases = Case.objects.filter(organisation=officer.organisation).exclude(status="draft")
    assert cases.count() == 2
    for case in cases:
        assert case.items.count() == 5 and case.parties.count() == 3 and case.documents.count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the figure reads a PostgreSQL backend's counters")
def test_database_cpu_is_read_from_this_connections_backend():
    before = intake._backend_cpu(connection)
    assert before is not None and before >= 0
    with connection.cursor() as cursor:
        # Work enough to cost the backend measurable CPU (several clock ticks).
        cursor.execute("SELECT count(*) FROM generate_series(1, 3000000)")
    after = intake._backend_cpu(connection)
    assert after > before
