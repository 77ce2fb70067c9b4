"""Display of Decimal amounts and shares: as typed, without the padding the database columns add."""

from decimal import Decimal

from django import template
from django.utils.formats import number_format

from cases.casedoc import decimal_string

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
