"""Choice labels that cost one translation, not one per choice.

Django's `get_FOO_display` builds a dict of every choice of the field on each call, hashing each lazily
translated label, and hashing a lazy string translates it. A case status has a dozen choices, an element
seventeen: a list page of 25 rows made some 400 translation lookups, a fifth of its CPU. The mixin keeps each
field's value → label map per language and translates only the label shown."""

from django.db import models
from django.utils import translation
from django.utils.encoding import force_str


def _labels(field: models.Field) -> dict:
    # One map per language: most labels are lazy, but some fields' choices are already text in the language active
    # when they are listed (django-countries' names), so a map made in one language must not serve another.
    maps = field.__dict__.setdefault("_display_labels", {})
    language = translation.get_language()
    labels = maps.get(language)
    if labels is None:
        labels = maps[language] = dict(field.flatchoices)
    return labels


class ChoiceLabels:
    """Mix into a model before models.Model: its get_FOO_display methods read `_labels` instead."""

    def _get_FIELD_display(self, field: models.Field):
        value = getattr(self, field.attname)
        try:
            label = _labels(field).get(value, value)
        except TypeError:  # an unhashable value: Django's own lookup knows what to do
            return super()._get_FIELD_display(field)
        return force_str(label, strings_only=True)
