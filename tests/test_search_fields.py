"""The case list's filter fields are written by search.templatetags.search_fields, not by crispy's template: the
HTML must stay what crispy writes (label, widget classes, help, errors, ids and aria attributes)."""

from pathlib import Path

import pytest
from django.template import Context, Template
from django.test.html import parse_html

from search.forms import CaseSearchForm

pytestmark = pytest.mark.django_db

CRISPY = Template("{% load crispy_forms_tags %}{{ field|as_crispy_field }}")
OURS = Template("{% load search_fields %}{{ field|filter_field }}")

CASES = [
    {},
    {"q": "magnet", "status": "screened", "destination": "DE", "sort": "oldest"},
    {"submitted_from": "not a date", "submitted_to": "2025-01-01"},
    {"submitted_from": "2025-02-01", "submitted_to": "2025-01-01"},
    {"status": "no-such-status", "q": "x" * 101},
    {"queue": "999999", "assignee": "nobody", "outcome": "maybe"},
]


@pytest.mark.parametrize("data", CASES)
@pytest.mark.parametrize("who", ["officer", "reviewer"])
def test_every_filter_field_renders_as_crispy_renders_it(data, who, request):
    user = request.getfixturevalue(who)
    form = CaseSearchForm(data or None, user=user)
    form.is_valid()
    for name in form.fields:
        field = form[name]
        expected = parse_html(CRISPY.render(Context({"field": field})))
        assert parse_html(OURS.render(Context({"field": field}))) == expected, name


def test_the_case_list_uses_it(client, reviewer):
    source = (Path(__file__).resolve().parent.parent / "templates" / "cases" / "case_list.html").read_text()
    assert "as_crispy_field" not in source and source.count("|filter_field") >= 10
    client.force_login(reviewer)
    html = client.get("/cases/", {"submitted_from": "not a date"}, secure=True).content.decode()
    assert 'id="div_id_q"' in html and 'id="id_submitted_from_error"' in html
    assert "aria-invalid" in html
