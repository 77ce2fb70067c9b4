"""Country fields read as stored, without the `Country` object django-countries' descriptor builds on each read."""

from typing import Any

from django.db.models import Model
from django_countries.fields import CountryField


def stored_country_code(obj: Model, field: CountryField) -> str | None:
    """The value `field` of `obj` holds when it is already its own alpha-2 code: "" or a code the field's country
    list holds as it is, as every stored code is. None when it must be read through the field: an alpha-3, numeric
    or lower-case code set in memory, a `Country`, None, or a deferred field."""
    raw: Any = obj.__dict__.get(field.attname)
    if type(raw) is str and (raw == "" or (raw in field.countries and raw.isupper())):
        return raw
    return None
