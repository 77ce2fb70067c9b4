"""Display of Decimal amounts, shares and money: as typed, without the padding the database columns add, in the
active locale's digits and separators; and whether a case may be linked to for the reader."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language, to_locale

from cases.casedoc import decimal_string
from cases.selectors import user_may_see_case

register = template.Library()


@register.filter
def plain_decimal(value):
    """42000.00 → 42000, 0.02500000 → 0.025; empty stays empty."""
    if value is None or value == "":
        return ""
    return number_format(decimal_string(Decimal(value)), use_l10n=True)


@register.filter
def percent(value):
    """A share between 0 and 1 as a percentage: 0.025 → 2.5 %."""
    if value is None or value == "":
        return ""
    return f"{number_format(decimal_string(Decimal(value) * 100), use_l10n=True)} %"


def money_text(amount, currency: str = "", language: str | None = None) -> str:
    """An amount with its ISO 4217 currency as the language's readers write it: Decimal("12345.5") USD is
    "$12,345.50" in English and "US$12,345.50" in Simplified Chinese.

    Babel knows each locale's symbols, separators and where the sign goes, which hand-written code would get wrong
    for the next language. The amount stays a Decimal all the way (never a float), and digits beyond the currency's
    usual places are shown, not rounded away: a limit of 0.005 JPY is what the permit says, so the page says it too.
    """
    if amount is None or amount == "":
        return ""
    amount = Decimal(amount)
    locale = to_locale(language or get_language() or "en")
    currency = (currency or "").strip().upper()
    if not currency:
        return format_decimal(amount, locale=locale, decimal_quantization=False)
    # A code Babel does not know is shown as it is, before the amount ("ZZZ1.00"), never refused.
    return format_currency(amount, currency, locale=locale, decimal_quantization=False)


@register.filter
def money(amount, currency=""):
    """{{ item.value_amount|money:item.value_currency }}: the amount with its currency in the active locale."""
    return money_text(amount, currency)


@register.filter
def openable_by(case, user) -> bool:
    """{% if amendment|openable_by:user %}: link to a case only for a reader its page would not answer 404."""
    return user_may_see_case(user=user, case=case)
