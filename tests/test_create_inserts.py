"""config.compiled_writes.insert_rows writes what Django's own insert would: the same columns with the same values
(prepared by the fields, auto_now_add stamped), the keys read back in the order of the rows, the instances left
saved. Held here against bulk_create and save on the same inputs."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case, Item, ItemElement, Party, ReferenceCounter
from config.compiled_writes import insert_rows

from .factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return make_user(Role.OFFICER, organisation=make_organisation())


@pytest.fixture
def case(officer):
    return make_case(officer, with_certificate=False)


def columns(obj) -> dict:
    """Every concrete column of a row, but its key, as the database holds it."""
    row = type(obj).objects.get(pk=obj.pk)
    return {f.attname: getattr(row, f.attname) for f in row._meta.concrete_fields if not f.primary_key}


def lines(case: Case, count: int) -> list[Item]:
    return [
        Item(
            case=case,
            position=n,
            description=f"Magnet blocks, lot {n}",
            control_code="1C905.a",
            hs_code="8505111000",
            produced_in="CN",
            # An alpha-3 code: the field reads it as its alpha-2 code, and so must the insert.
            origin_country="DEU",
            quantity_amount=Decimal("100.5"),
            quantity_unit="kg",
            value_amount=Decimal("8400.25") if n % 2 else None,
            value_currency="USD",
            public_domain=bool(n % 2),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [1, 2, 5])
def test_rows_are_those_bulk_create_writes(count, case):
    ours, django = lines(case, count), lines(case, count)
    insert_rows(ours)
    Item.objects.bulk_create(django)
    for mine, theirs in zip(ours, django, strict=True):
        assert mine.pk is not None and not mine._state.adding and mine._state.db == "default"
        assert columns(mine) == columns(theirs)
        assert columns(mine)["origin_country"] == "DE"
    # The keys come back in the order of the rows, ascending.
    assert [line.pk for line in ours] == sorted(line.pk for line in ours)
    assert [line.position for line in Item.objects.filter(pk__in=[line.pk for line in ours]).order_by("pk")] == list(
        range(count)
    )


def test_one_statement_for_many_rows_and_children_take_the_keys(case):
    items = lines(case, 5)
    with CaptureQueriesContext(connection) as queries:
        insert_rows(items)
        insert_rows([ItemElement(item=i, element="Nd", form="magnet", mass_fraction=Decimal("0.29")) for i in items])
    assert len(queries) == 2
    assert sorted(ItemElement.objects.filter(item__in=items).values_list("item_id", flat=True)) == [i.pk for i in items]


def test_nothing_to_insert_sends_nothing():
    with CaptureQueriesContext(connection) as queries:
        insert_rows([])
    assert len(queries) == 0


def test_a_header_written_as_save_writes_it(officer):
    fields = {
        "organisation": officer.organisation,
        "filed_by": officer,
        "destination_country": "DE",
        "decisive_date": date(2025, 6, 1),
        "end_use_categories": ["civil"],
        "end_use_description": "Motors",
    }
    ours, django = Case(reference="T-1", **fields), Case(reference="T-2", **fields)
    insert_rows([ours])
    django.save()
    # auto_now and auto_now_add are stamped on the instance, as save stamps them, and stored as stamped.
    assert ours.created_at is not None and ours.updated_at is not None
    stored = Case.objects.get(pk=ours.pk)
    assert (stored.created_at, stored.updated_at) == (ours.created_at, ours.updated_at)
    mine, theirs = columns(ours), columns(django)
    for stamp in ("reference", "created_at", "updated_at"):
        mine.pop(stamp), theirs.pop(stamp)
    assert mine == theirs
    assert model_to_dict(Case.objects.get(pk=ours.pk))["end_use_categories"] == ["civil"]


def test_json_columns_are_written_as_save_writes_them(case):
    after = {"amount": Decimal("1.50"), "on": date(2025, 6, 1), "names": ["a", "b"]}
    ours = AuditEvent(verb="x", target_type="cases.case", target_id=str(case.pk), case=case, after=after)
    theirs = AuditEvent(verb="x", target_type="cases.case", target_id=str(case.pk), case=case, after=after)
    insert_rows([ours])
    theirs.save()
    assert AuditEvent.objects.get(pk=ours.pk).after == AuditEvent.objects.get(pk=theirs.pk).after
    assert AuditEvent.objects.get(pk=ours.pk).after == {"amount": "1.50", "on": "2025-06-01", "names": ["a", "b"]}


def test_a_model_whose_key_the_database_does_not_issue_is_refused():
    with pytest.raises(TypeError):
        insert_rows([ReferenceCounter(year=1990, last=1)])
    assert not ReferenceCounter.objects.filter(year=1990).exists()


def test_party_rows_match_bulk_create(case):

    def parties():
        return [
            Party(case=case, position=n, role="end_user", name=f"P {n}", address="Str. 5", country="DE")
            for n in range(3)
        ]

    ours, django = parties(), parties()
    insert_rows(ours)
    Party.objects.bulk_create(django)
    assert [columns(p) for p in ours] == [columns(p) for p in django]


def test_a_parent_saved_after_assignment_gives_its_key_and_an_unsaved_one_is_refused(officer):
    parent = Case(reference="T-3", organisation=officer.organisation, filed_by=officer)
    line = lines(parent, 1)[0]
    insert_rows([parent])
    insert_rows([line])
    assert Item.objects.get(pk=line.pk).case_id == parent.pk
    unsaved = Case(reference="T-4", organisation=officer.organisation, filed_by=officer)
    event = AuditEvent(verb="x", target_type="cases.case", target_id="0", case=unsaved)
    with pytest.raises(ValueError, match="unsaved related object 'case'"):
        insert_rows([event])
    assert not AuditEvent.objects.filter(verb="x").exists()
