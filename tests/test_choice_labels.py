"""The cheaper choice labels (cases.choices.ChoiceLabels) say exactly what Django's own get_FOO_display says, in
every language, for every choice of every model that uses them."""

import pytest
from django.apps import apps
from django.db import models
from django.utils import translation

from cases.choices import ChoiceLabels

MODELS = [m for m in apps.get_models() if issubclass(m, ChoiceLabels)]


def test_the_hot_models_use_them():
    names = {m.__name__ for m in MODELS}
    assert {"Case", "Item", "ItemElement", "Party", "Document", "CaseAssignment", "Permit"} <= names


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_same_label_as_django(model, language):
    fields = [f for f in model._meta.concrete_fields if f.choices and not f.is_relation]
    assert fields, model
    with translation.override(language):
        for field in fields:
            for value in [*(v for v, _ in field.flatchoices), "not-a-choice", None]:
                instance = model()
                setattr(instance, field.attname, value)
                ours = getattr(instance, f"get_{field.name}_display")()
                django = models.Model._get_FIELD_display(instance, field)
                assert ours == django, (field, value)
                assert type(ours) is type(django)
