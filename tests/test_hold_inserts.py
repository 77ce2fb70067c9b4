"""insert_rows sends a multi-row VALUES while psycopg keeps the statement parsed (up to 50 parameters), UNNEST
above; and reads country fields without building Country objects. Either way the rows stored are the ones
bulk_create stores from the same instances."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_countries.fields import Country
from psycopg import _queries

from accounts.roles import Role
from cases.models import Item, ItemContent, Party, PartyOwner
from config import compiled_writes
from config.compiled_writes import insert_rows

from .factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    return make_case(make_user(Role.OFFICER, organisation=make_organisation()), with_certificate=False)


def columns(obj) -> dict:
    row = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}


# Countries in every form a caller may set one: stored codes, alpha-3, numeric, lower case, a Country, blank.
COUNTRIES = ["DE", "DEU", "276", "fr", Country("JP"), "", "CN", "XX"]


def parties(case, count):
    return [
        Party(case=case, position=n, role="end_user", name=f"P {n}", country=COUNTRIES[n % len(COUNTRIES)])
        for n in range(count)
    ]


def test_the_limit_is_psycopgs():
    assert compiled_writes.VALUES_MAX_PARAMS == _queries.MAX_CACHED_STATEMENT_PARAMS
    assert compiled_writes.VALUES_MAX_LENGTH == _queries.MAX_CACHED_STATEMENT_LENGTH


@pytest.mark.parametrize("count", [1, 2, 7, 8, 16])
def test_values_up_to_the_limit_unnest_above_and_the_same_rows_as_bulk_create(case, count):
    width = len([f for f in Party._meta.concrete_fields if not f.primary_key])
    ours, django = parties(case, count), parties(case, count)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(ours)
    sql = queries[0]["sql"]
    # UNNEST is PostgreSQL's; elsewhere every insert is a multi-row VALUES.
    if connection.vendor == "postgresql" and count > 1 and count * width > compiled_writes.VALUES_MAX_PARAMS:
        assert "UNNEST" in sql
    else:
        assert "UNNEST" not in sql and sql.count("), (") == count - 1
    Party.objects.bulk_create(django)
    assert [columns(p) for p in ours] == [columns(p) for p in django]
    # As the field reads each form: its alpha-2 code, or the value itself when it has none ("XX").
    assert [columns(p)["country"] for p in ours] == [Country(c).code for c in COUNTRIES * 2][:count]


def test_country_values_are_those_the_field_prepares(case):
    line = Item(case=case, description="x")
    fields = {f.name: f for f in Item._meta.concrete_fields}
    readers = dict(
        zip(
            [f.name for f in compiled_writes._plan(Item, "default").fields],
            compiled_writes._plan(Item, "default").readers,
            strict=True,
        )
    )
    for value in [*COUNTRIES, None]:
        line.origin_country = value
        expected = fields["origin_country"].get_db_prep_save(fields["origin_country"].pre_save(line, True), connection)
        got = readers["origin_country"](line)
        assert (type(got), got) == (type(expected), expected), value


def test_content_and_owners_match_bulk_create(case):
    line = Item(case=case, description="x")
    insert_rows([line])
    party = parties(case, 1)[0]
    insert_rows([party])

    def rows():
        return (
            [ItemContent(item=line, origin_country=c, value_share=Decimal("0.1")) for c in ("CN", "chn", "156")],
            [PartyOwner(party=party, name="O", country=c, share=Decimal("0.5")) for c in ("", "JPN", Country("DE"))],
        )

    (content, owners), (content_django, owners_django) = rows(), rows()
    insert_rows(content)
    insert_rows(owners)
    ItemContent.objects.bulk_create(content_django)
    PartyOwner.objects.bulk_create(owners_django)
    assert [columns(c) for c in content] == [columns(c) for c in content_django]
    assert [columns(o) for o in owners] == [columns(o) for o in owners_django]
