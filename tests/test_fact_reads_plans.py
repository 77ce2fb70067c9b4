"""The reads of a case's rows two levels down (an item's elements and content, a party's owners) on PostgreSQL:
by their parents' ids through `__any_of` (config/lookups.py), one SQL text for any number of parents, answered
from the foreign key's index. Read through a join on the case id instead, they were planned as a sequential scan
of the whole table by a connection that met the tables grown and without statistics (autovacuum off or behind)."""

from decimal import Decimal

import pytest
from django.db import NotSupportedError, connection

from cases.models import Item, ItemContent, ItemElement, Party, PartyOwner
from cases.selectors import _FACT_READS_UNDER

from .factories import item_data, make_case, party_data

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="= ANY(array) and the plans are PostgreSQL's"),
]


@pytest.fixture
def case(officer):
    return make_case(
        officer,
        items=[
            item_data(content=[{"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": "0.004"}]),
            item_data(elements=[{"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.025")}]),
        ],
        parties=[party_data(owners=[{"name": "Holding AG", "country": "DE", "share": Decimal("0.6")}])],
    )


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_any_of_answers_what_in_answers(case, officer):
    other = make_case(officer)
    items = list(Item.objects.filter(case=case).values_list("pk", flat=True))
    assert items
    for model, parent in ((ItemElement, "item_id"), (ItemContent, "item_id")):
        expected = list(model.objects.filter(**{f"{parent}__in": items}).values_list("pk", flat=True))
        assert list(model.objects.filter(**{f"{parent}__any_of": items}).values_list("pk", flat=True)) == expected
        assert expected
    assert not ItemElement.objects.filter(item_id__any_of=[]).exists()
    # Another case's rows stay out.
    assert not ItemElement.objects.filter(item_id__any_of=items, item__case=other).exists()


def test_one_sql_text_for_any_number_of_parents(case):
    sqls = set()
    for ids in ([1], [1, 2], list(range(1, 40))):
        sql, params = ItemElement.objects.filter(item_id__any_of=ids).values_list("pk").query.sql_with_params()
        sqls.add(sql)
        assert params == (ids,)
    (sql,) = sqls
    assert '"cases_itemelement"."item_id" = ANY(%s::bigint[])' in sql


def test_any_of_is_refused_where_there_are_no_arrays(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(NotSupportedError):
        list(ItemElement.objects.filter(item_id__any_of=[1]))


def _copies(instance, count: int, **changes) -> list:
    # `count` unsaved copies of a saved row, with `changes` (a function of the copy's number) applied.
    model = type(instance)
    values = {f.attname: getattr(instance, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
    return [model(**{**values, **{k: f(n) for k, f in changes.items()}}) for n in range(count)]


@pytest.mark.parametrize(
    ("model", "parent_model", "parent_field", "index"),
    [
        (ItemElement, Item, "item", "cases_itemelement_item_id"),
        (ItemContent, Item, "item", "cases_itemcontent_item_id"),
        (PartyOwner, Party, "party", "cases_partyowner_party_id"),
    ],
)
def test_the_reads_under_a_case_plan_on_the_parent_index_without_statistics(
    case, officer, model, parent_model, parent_field, index
):
    with connection.cursor() as cursor:
        cursor.execute("SHOW is_superuser")
        if cursor.fetchone()[0] != "on":
            pytest.skip("forgetting a table's statistics takes a superuser")
    # Another case with thousands of parents and twice as many rows under them, and no statistics of either table
    # (deleted in this test's transaction, so they come back when it rolls back): the join on the case id was
    # planned as a sequential scan of all of them.
    other = make_case(
        officer,
        items=[item_data(content=[{"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": "0.004"}])],
        parties=[party_data(owners=[{"name": "Holding AG", "country": "DE", "share": "0.6"}])],
    )
    parents = parent_model.objects.bulk_create(
        _copies(parent_model.objects.filter(case=other).first(), 4000, position=lambda n: n + 10), batch_size=2000
    )
    sample = model.objects.filter(**{f"{parent_field}__case": other}).first()
    model.objects.bulk_create(
        _copies(sample, 8000, **{parent_field + "_id": lambda n: parents[n % len(parents)].pk}), batch_size=2000
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM pg_statistic WHERE starelid IN (%s::regclass, %s::regclass)",
            [parent_model._meta.db_table, model._meta.db_table],
        )

    read = _FACT_READS_UNDER[model]
    ids = list(parent_model.objects.filter(case=case).values_list("pk", flat=True))
    rows = read.rows(parent_ids=ids)
    assert sorted(row[0] for row in rows) == sorted(
        model.objects.filter(**{f"{parent_field}__case": case}).values_list("pk", flat=True)
    )
    assert rows
    plan = _plan(read._compiled["default"].sql, [ids])
    assert index in plan, plan
    assert f"Seq Scan on {model._meta.db_table}" not in plan, plan
