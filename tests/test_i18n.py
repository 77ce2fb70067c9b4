"""The interface in the reader's language: money and dates in their locale's form."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.services import user_set_language
from cases.templatetags.licensa import money_text

from .factories import PASSWORD


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


# --- the language switch ------------------------------------------------------------------------------------------


def test_the_switch_sets_the_cookie_and_a_signed_in_persons_preference(officer):
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("dashboard:officer")})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:officer")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans" and int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE
    officer.refresh_from_db()
    assert officer.language == "zh-hans"
    # The next page is in the chosen language, whatever the browser asks for.
    page = client.get(reverse("dashboard:officer"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in page


def test_the_preference_follows_the_person_to_another_browser(officer):
    first = Client()
    first.force_login(officer)
    first.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    elsewhere = Client()
    response = elsewhere.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_a_language_not_offered_changes_nothing(officer):
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in response.cookies
    officer.refresh_from_db()
    assert officer.language == ""
    with pytest.raises(ValidationError):
        user_set_language(user=officer, language="fr")


def test_a_visitor_may_switch_before_signing_in_and_a_redirect_elsewhere_is_refused(db):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "https://evil.example/"})
    # Django's own check: only the site's own pages as the way back.
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert client.get(reverse("set_language")).status_code == 405


def test_the_footer_offers_each_language_in_its_own_name(db):
    page = Client().get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in page
