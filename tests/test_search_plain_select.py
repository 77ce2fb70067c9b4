"""The case list's destination filter writes its options itself (search.forms.PlainSelect) because rendering a
template per country was the costliest part of the page under load: the HTML must stay what Django's Select
writes, selection and escaping included."""

import pytest
from django import forms
from django.test import Client
from django.test.html import parse_html
from django.urls import reverse
from django.utils.safestring import mark_safe

from search.forms import CaseSearchForm, PlainSelect

pytestmark = pytest.mark.django_db

CHOICES = [
    ("", "Any destination"),
    ("DE", "Germany"),
    ("XK", 'Quotes " & <tags>'),
    ("CI", "Côte d'Ivoire"),
    ("SF", mark_safe("<b>safe</b> &amp; sound")),
    ("US", "United States"),
]


@pytest.mark.parametrize("value", [None, "", "DE", "XK", "CI", "SF", "not-a-choice"])
def test_plain_select_writes_what_djangos_select_writes(value):
    attrs = {"id": "id_destination", "class": "form-select", "required": True}
    django_html = forms.Select(choices=CHOICES).render("destination", value, attrs=attrs)
    plain_html = PlainSelect(choices=CHOICES).render("destination", value, attrs=attrs)
    assert parse_html(plain_html) == parse_html(django_html)
    assert "&lt;tags&gt;" in plain_html and "<tags>" not in plain_html
    assert "<b>safe</b> &amp; sound" in plain_html, "a safe label is written as it is"


def test_the_search_form_uses_it_for_destinations(reviewer):
    form = CaseSearchForm({"destination": "DE"}, user=reviewer)
    assert isinstance(form.fields["destination"].widget, PlainSelect)
    html = str(form["destination"])
    assert parse_html('<option value="DE" selected>Germany</option>') in parse_html(html)
    # Every country is offered, after "Any destination".
    assert html.count("<option") > 240


@pytest.mark.parametrize("who", ["officer", "reviewer"])
def test_the_case_list_keeps_the_chosen_destination_and_its_query_budget(
    officer, reviewer, who, django_assert_max_num_queries
):
    client = Client()
    client.force_login({"officer": officer, "reviewer": reviewer}[who])
    # Session, user, roles, saved searches, count, rows; for staff the queue and reviewer choices too.
    with django_assert_max_num_queries({"officer": 7, "reviewer": 8}[who]):
        response = client.get(reverse("cases:list"), {"destination": "DE"})
    assert response.status_code == 200
    page = parse_html(response.content.decode())
    assert parse_html('<option value="DE" selected>Germany</option>') in page
    assert parse_html('<option value="FR">France</option>') in page
