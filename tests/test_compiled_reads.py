"""Compiled reads (config/compiled_reads.py) and the hot reads built on them: each must answer exactly what the
ordinary queryset it replaces answers, in the same number of queries or fewer."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from accounts.authentication import UserTokenAuthentication
from accounts.roles import Role
from cases.casedoc import case_document
from cases.models import Case, Document, Item, ItemElement
from cases.selectors import case_get_for_user, cases_visible_to, load_facts, with_facts
from cases.services import case_submit
from config.compiled_reads import CompiledRead, instance_from, model_columns

from .factories import item_data, make_case, make_user, party_data

pytestmark = pytest.mark.django_db


def test_rows_are_what_values_list_returns_with_every_converter(officer):
    # Decimals, dates, datetimes, JSON and country codes all pass through the read unchanged in value and type.
    case = make_case(officer, items=[item_data(), item_data(value_amount=Decimal("0.10"))])
    read = CompiledRead(
        lambda case_id: Case.objects.filter(pk=case_id).values_list(
            "decisive_date", "created_at", "end_use_categories", "destination_country"
        ),
        case_id=-1,
    )
    expected = list(
        Case.objects.filter(pk=case.pk).values_list(
            "decisive_date", "created_at", "end_use_categories", "destination_country"
        )
    )
    assert read.rows(case_id=case.pk) == expected
    assert read.rows(case_id=case.pk)[0][0] == date(2025, 6, 1)
    assert read.rows(case_id=case.pk)[0][2] == ["civil"]

    items = CompiledRead(
        lambda case_id: Item.objects.filter(case_id=case_id).values_list(*model_columns(Item)), case_id=-1
    )
    rows = items.rows(case_id=case.pk)
    assert rows == list(Item.objects.filter(case_id=case.pk).values_list(*model_columns(Item)))
    assert [type(r[model_columns(Item).index("value_amount")]) for r in rows] == [Decimal, Decimal]
    # Another case's id gives another case's rows: the placeholder is a parameter, not part of the SQL.
    other = make_case(officer)
    assert [r[0] for r in items.rows(case_id=other.pk)] == list(other.items.values_list("pk", flat=True))


def test_instances_read_like_the_orm(officer):
    case = make_case(officer)
    read = CompiledRead(
        lambda case_id: Item.objects.filter(case_id=case_id).values_list(*model_columns(Item)), case_id=-1
    )
    [item] = [instance_from(Item, row) for row in read.rows(case_id=case.pk)]
    orm = Item.objects.get(case_id=case.pk)
    assert item == orm
    assert {f.attname: getattr(item, f.attname) for f in Item._meta.concrete_fields} == {
        f.attname: getattr(orm, f.attname) for f in Item._meta.concrete_fields
    }
    assert item._state.adding is False and item._state.db == "default"


def test_a_read_that_cannot_be_compiled_is_refused():
    # Not a values_list: the column order would be the compiler's business.
    with pytest.raises(TypeError):
        CompiledRead(lambda case_id: Case.objects.filter(pk=case_id), case_id=-1).rows(case_id=1)
    # A placeholder that never reaches the SQL (here None becomes IS NULL) would be silently ignored.
    with pytest.raises(ValueError, match="exactly once"):
        CompiledRead(lambda org: Case.objects.filter(organisation_id=org).values_list("pk"), org=None).rows(org=None)
    # A placeholder used twice could not tell which parameter is which.
    with pytest.raises(ValueError, match="exactly once"):
        CompiledRead(
            lambda case_id: Case.objects.filter(pk=case_id, organisation_id=case_id).values_list("pk"), case_id=-1
        ).rows(case_id=1)


@pytest.fixture
def cases(officer, other_officer):
    own_draft = make_case(officer)
    own_submitted = make_case(officer)
    case_submit(case=own_submitted, actor=officer)
    other_draft = make_case(other_officer)
    other_submitted = make_case(other_officer)
    case_submit(case=other_submitted, actor=other_officer)
    return [own_draft, own_submitted, other_draft, other_submitted]


@pytest.mark.parametrize(
    "roles",
    [(Role.OFFICER,), (Role.REVIEWER,), (Role.AUDITOR,), (Role.RULE_ADMIN,), ()],
)
def test_case_get_for_user_sees_exactly_what_cases_visible_to_sees(cases, org, roles):
    user = make_user(*roles, organisation=org if Role.OFFICER in roles else None)
    visible = set(cases_visible_to(user).values_list("reference", flat=True))
    for case in cases:
        if case.reference in visible:
            assert case_get_for_user(user=user, reference=case.reference, facts=False).pk == case.pk
        else:
            with pytest.raises(Http404):
                case_get_for_user(user=user, reference=case.reference, facts=False)
    with pytest.raises(Http404):
        case_get_for_user(user=user, reference="LIC-1900-000001", facts=False)


def test_an_inactive_user_sees_no_case(cases, officer):
    type(officer).objects.filter(pk=officer.pk).update(is_active=False)
    officer.refresh_from_db()
    with pytest.raises(Http404):
        case_get_for_user(user=officer, reference=cases[0].reference)


def test_the_case_read_carries_organisation_and_filer_without_a_query(cases, officer):
    with CaptureQueriesContext(connection) as queries:
        case = case_get_for_user(user=officer, reference=cases[0].reference, facts=False)
        assert case.organisation.name == officer.organisation.name
        assert case.filed_by.username == officer.username
    assert len(queries) == 1


def _facts(case: Case) -> dict:
    return {
        "document": case_document(case),
        "items": [(i.pk, [e.pk for e in i.elements.all()], [c.pk for c in i.content.all()]) for i in case.items.all()],
        "parties": [(p.pk, [o.pk for o in p.owners.all()]) for p in case.parties.all()],
        "documents": [(d.pk, d.case.reference) for d in case.documents.all()],
    }


def test_load_facts_holds_what_with_facts_prefetches_in_six_queries(officer):
    case = make_case(
        officer,
        items=[
            item_data(),
            item_data(
                description="Motor with Chinese magnets",
                elements=[
                    {"element": "Nd", "form": "magnet", "mass_fraction": Decimal("0.29")},
                    {"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.025")},
                ],
                content=[{"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": Decimal("0.004")}],
            ),
            item_data(elements=[]),
        ],
        parties=[
            party_data(owners=[{"name": "Holding AG", "country": "DE", "share": Decimal("0.6")}]),
            party_data(role="consignee", name="Spedition Nord"),
        ],
    )
    # A second case's rows must not leak into the first's.
    make_case(officer)
    prefetched = with_facts(Case.objects.filter(pk=case.pk)).get()
    with CaptureQueriesContext(connection) as queries:
        loaded = load_facts(Case.objects.select_related("organisation").get(pk=case.pk))
        facts = _facts(loaded)
    assert len(queries) == 1 + 6
    assert facts == _facts(prefetched)
    # Each row knows its parent without a query, as a prefetch leaves it.
    with CaptureQueriesContext(connection) as queries:
        assert all(e.item.case_id == case.pk for i in loaded.items.all() for e in i.elements.all())
        assert all(o.party.case_id == case.pk for p in loaded.parties.all() for o in p.owners.all())
    assert len(queries) == 0
    # A relation's manager still filters by its parent when asked a new question.
    assert loaded.items.filter(description="Motor with Chinese magnets").count() == 1
    assert ItemElement.objects.count() > sum(len(i.elements.all()) for i in loaded.items.all())


def test_load_facts_keeps_the_facts_a_case_holds(officer):
    case = make_case(officer)
    case = case_get_for_user(user=officer, reference=case.reference)
    held = case.items.all()
    Document.objects.filter(case=case).delete()
    with CaptureQueriesContext(connection) as queries:
        load_facts(case)
    assert len(queries) == 0
    assert case.items.all() is held
    assert len(case.documents.all()) == 1  # what it held, not what is stored now


def test_token_authentication_reads_user_organisation_and_roles_in_one_query(officer, reviewer):
    for user, organisation_id in ((officer, officer.organisation_id), (reviewer, None)):
        key = Token.objects.create(user=user).key
        with CaptureQueriesContext(connection) as queries:
            authenticated, token = UserTokenAuthentication().authenticate_credentials(key)
            assert authenticated.pk == user.pk and token.key == key and token.user is authenticated
            assert authenticated.organisation_id == organisation_id
            assert (authenticated.organisation.pk if authenticated.organisation else None) == organisation_id
        assert len(queries) == 1
        assert authenticated.role_set == type(user).objects.get(pk=user.pk).role_set
    with pytest.raises(exceptions.AuthenticationFailed):
        UserTokenAuthentication().authenticate_credentials("not-a-token")


def test_token_authentication_refuses_an_inactive_user(officer):
    key = Token.objects.create(user=officer).key
    type(officer).objects.filter(pk=officer.pk).update(is_active=False)
    with pytest.raises(exceptions.AuthenticationFailed):
        UserTokenAuthentication().authenticate_credentials(key)


def test_a_date_placeholder_is_sent_as_the_backend_adapts_a_date(officer):
    # PostgreSQL takes the date as it is; SQLite is sent the text Django's own lookup would send, which the
    # embedded default (`make run` without DATABASE_URL) needs for the rule set and lists in force.
    from django.db.backends.sqlite3.base import DatabaseWrapper as SQLite

    from config.compiled_reads import _adapter

    on = date(2025, 6, 1)
    assert _adapter(on, SQLite.ops_class(connection)) is not None
    assert _adapter(on, SQLite.ops_class(connection))(on) == "2025-06-01"
    assert _adapter(-1, SQLite.ops_class(connection)) is None
    make_case(officer)
    read = CompiledRead(lambda day: Case.objects.filter(decisive_date__lte=day).values_list("pk"), day=date(1, 1, 1))
    assert read.rows(day=on) == list(Case.objects.filter(decisive_date__lte=on).values_list("pk"))
    assert read.rows(day=date(2000, 1, 1)) == []
