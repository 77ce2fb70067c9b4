"""The upload form for a restricted-party list. It checks what was typed and hands the service plain values and
the files' names and bytes; the service checks again and stores."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from parties.importers import PARSERS
from parties.services import LIST_KEY_PATTERN

FORMAT_LABELS = {
    "csl": _("US Consolidated Screening List (CSV, plain or gzip)"),
    "ofac-sdn": _("OFAC SDN legacy CSV (sdn.csv, optionally with alt.csv and add.csv)"),
    "un-xml": _("UN Security Council consolidated list (XML)"),
    "csv": _("Simple CSV (id, name, aliases, kind, country, instrument, listed_from, listed_to, program, remarks)"),
}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one field (OFAC's sdn.csv, alt.csv and add.csv come together)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data] if data else [single(None, initial)]
        return [single(data, initial)]


class ListImportForm(forms.Form):
    list_key = forms.RegexField(
        label=_("List"),
        regex=LIST_KEY_PATTERN,
        max_length=64,
        error_messages={"invalid": _("Use capitals, digits, '-' and '_' (e.g. US-CSL).")},
        help_text=_("The list's name: an existing list gets a new version, a new name starts a list."),
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=[(key, FORMAT_LABELS.get(key, key)) for key in PARSERS])
    files = MultipleFileField(
        label=_("Files"),
        allow_empty_file=False,
        help_text=_("One file; for OFAC SDN, sdn.csv with alt.csv and add.csv if you have them."),
    )
    effective_from = forms.DateField(
        label=_("In force from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day this version applies from; today if left empty."),
    )
    name = forms.CharField(label=_("Display name"), max_length=200, required=False, help_text=_("For a new list."))
    jurisdiction = forms.CharField(
        label=_("Jurisdiction"), max_length=3, required=False, help_text=_("For a new list: CN, US, UN…")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def uploads(self) -> list[tuple[str, bytes]]:
        return [(f.name, f.read()) for f in self.cleaned_data["files"]]
