"""The interface in the reader's language: money and dates in their locale's form."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from cases.templatetags.licensa import money_text


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load licensa %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en", Decimal("12345.5"), "USD", "$12,345.50"),
        # Chinese readers see the dollar marked as the US one; their own yuan is the plain ¥.
        ("zh-hans", Decimal("12345.5"), "USD", "US$12,345.50"),
        ("zh-hans", Decimal("12345.5"), "CNY", "¥12,345.50"),
        ("en", Decimal("12345.5"), "CNY", "CN¥12,345.50"),
        # Places beyond the currency's usual ones are what the permit says: shown, not rounded away.
        ("en", Decimal("0.005"), "JPY", "¥0.005"),
        ("en", Decimal("42000.00"), "usd", "$42,000.00"),
        ("en", Decimal("-3"), "EUR", "-€3.00"),
        # An amount without a currency is still grouped as the locale groups digits.
        ("en", Decimal("1000"), "", "1,000"),
    ],
)
def test_money_formats_an_amount_with_its_currency_for_the_locale(language, amount, currency, expected):
    assert money_text(amount, currency, language) == expected
    assert render("{{ amount|money:currency }}", language, amount=amount, currency=currency) == expected


def test_money_leaves_an_empty_amount_empty_and_never_goes_through_float():
    assert render("{{ amount|money:'USD' }}", "en", amount=None) == ""
    # Seventeen significant digits: a float would have lost the last cent.
    assert money_text(Decimal("123456789012345.67"), "USD", "en") == "$123,456,789,012,345.67"
    assert money_text("2500.50", "USD", "en") == "$2,500.50"


@pytest.mark.parametrize(("language", "expected"), [("en", "Dec. 31, 2026"), ("zh-hans", "2026年12月31日")])
def test_a_date_is_shown_in_the_locales_form(language, expected):
    assert render('{{ day|date:"DATE_FORMAT" }}', language, day=date(2026, 12, 31)) == expected
