"""case_document reads country codes without building django_countries' Country objects; what it writes for each
country must stay what `<field>.code` reads: stored codes as they are, codes set in memory in another form (alpha-3,
lower case) as the field normalises them, blank ones left out."""

import pytest

from accounts.roles import Role
from cases.casedoc import case_document
from cases.models import ItemContent, Party, PartyOwner
from cases.selectors import with_facts

from .factories import make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    officer = make_user(Role.OFFICER, organisation=make_organisation())
    made = make_case(officer, with_certificate=False)
    return with_facts(type(made).objects.filter(pk=made.pk)).get()


def test_stored_codes_are_written_as_the_field_reads_them(case):
    doc = case_document(case)
    assert doc["destination_country"] == case.destination_country.code
    for item, entry in zip(case.items.all(), doc["items"], strict=True):
        for name in ("produced_in", "origin_country", "technology_origin"):
            code = getattr(item, name).code
            assert entry.get(name) == (code or None)
    for party, entry in zip(case.parties.all(), doc["parties"], strict=True):
        assert entry["country"] == party.country.code


def test_codes_set_in_memory_in_another_form_are_normalised(case):
    item = case.items.all()[0]
    item.origin_country, item.produced_in, item.technology_origin = "DEU", "fr", ""
    item.content.all()._result_cache = [ItemContent(item=item, origin_country="276", value_share="0.1")]
    party = case.parties.all()[0]
    party.country = "usa"
    party.owners.all()._result_cache = [PartyOwner(party=party, name="Owner", country="JPN", share="0.5")]
    case.destination_country = "CHN"
    doc = case_document(case)
    line = doc["items"][0]
    assert (line["origin_country"], line["produced_in"]) == ("DE", "FR")
    assert "technology_origin" not in line
    assert line["content"][0]["origin_country"] == "DE"
    assert doc["parties"][0]["country"] == "US"
    assert doc["parties"][0]["owners"][0]["country"] == "JP"
    assert doc["destination_country"] == "CN"


def test_a_blank_destination_and_owner_country_are_left_out(case):
    case.destination_country = ""
    party: Party = case.parties.all()[0]
    party.owners.all()._result_cache = [PartyOwner(party=party, name="Owner", country="", share="0.5")]
    doc = case_document(case)
    assert doc["destination_country"] is None
    assert "country" not in doc["parties"][0]["owners"][0]
