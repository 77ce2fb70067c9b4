"""Choice labels that cost one translation, not one per choice.

Django's `get_FOO_display` builds a dict of every choice of the field on each call, hashing each lazily
translated label, and hashing a lazy string translates it. A case status has a dozen choices, an element
seventeen: a list page of 25 rows made some 400 translation lookups, a fifth of its CPU. The mixin keeps each
field's value → label map (labels still lazy, so the active language decides) and translates only the label
shown."""

from django.db import models
from django.utils.encoding import force_str


def _labels(field: models.Field) -> dict:
    labels = field.__dict__.get("_display_labels")
    if labels is None:
        labels = dict(field.flatchoices)
        field.__dict__["_display_labels"] = labels
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
