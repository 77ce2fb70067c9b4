"""Browser forms for rule sets. They check what a person typed or uploaded and hand the services plain values
(a label, a date, a row or a pack as parsed JSON); they never save anything themselves."""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from .models import RuleSetVersion

# A label is part of every URL of its version, so it keeps to characters a path segment carries as they are.
LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
# Words the URLs of /rules/ use for themselves: a version so labelled could not be reached.
RESERVED_LABELS = frozenset({"new", "import"})
MAX_PACK_BYTES = 5 * 1024 * 1024

label_validator = RegexValidator(
    LABEL_PATTERN, _("Use letters, digits, dots, hyphens and underscores, starting with a letter or digit.")
)


def _helper(*fields: str) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if fields:
        helper.layout = Layout(*fields)
    return helper


def _check_label(label: str) -> str:
    if label.lower() in RESERVED_LABELS:
        raise forms.ValidationError(_("'%(label)s' is a reserved word; choose another label."), params={"label": label})
    if RuleSetVersion.objects.filter(label=label).exists():
        raise forms.ValidationError(_("A version labelled '%(label)s' exists already."), params={"label": label})
    return label


def parse_json(raw: str | bytes, *, what: str):
    """The document, or a ValidationError that says where the JSON breaks."""
    try:
        # Packs are UTF-8 (a byte-order mark is tolerated); json.loads would guess other encodings from bytes.
        return json.loads(raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError:
        raise forms.ValidationError(_("The %(what)s is not UTF-8 text."), params={"what": what}) from None
    except json.JSONDecodeError as error:
        raise forms.ValidationError(
            _("The %(what)s is not valid JSON: %(problem)s at line %(line)s, column %(column)s."),
            params={"what": what, "problem": error.msg, "line": error.lineno, "column": error.colno},
        ) from None


class NewDraftForm(forms.Form):
    base = forms.ModelChoiceField(
        label=_("Start from"),
        queryset=RuleSetVersion.objects.all(),
        to_field_name="label",
        empty_label=None,
        help_text=_("The draft starts as a copy of this version."),
    )
    label = forms.CharField(
        label=_("Label of the new draft"),
        max_length=64,
        validators=[label_validator],
        help_text=_("For example 2026.2"),
    )

    def __init__(self, *args, **kwargs):
        # The rule sets page also holds the import form, whose field is named `label` too: ids of their own, so
        # each label and error link points at its own field.
        kwargs.setdefault("auto_id", "id_draft_%s")
        super().__init__(*args, **kwargs)
        self.helper = _helper("base", "label")

    def clean_label(self) -> str:
        return _check_label(self.cleaned_data["label"])


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Rule pack (JSON)"),
        allow_empty_file=False,
        help_text=_("A licensa-rule-pack/1 document, as exported here. It becomes a new draft."),
    )
    label = forms.CharField(
        label=_("Label"),
        max_length=64,
        required=False,
        validators=[label_validator],
        help_text=_("Leave empty to use the label inside the pack."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "id_import_%s")
        super().__init__(*args, **kwargs)
        self.helper = _helper("file", "label")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_PACK_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB."), params={"limit": MAX_PACK_BYTES // (1024 * 1024)}
            )
        self.content = upload.read()
        self.pack = parse_json(self.content, what=_("file"))
        return upload

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        label = cleaned.get("label")
        if label:
            try:
                _check_label(label)
            except forms.ValidationError as error:
                self.add_error("label", error)
            return cleaned
        # Without a label of its own the version takes the pack's; one that cannot be a URL needs replacing. A
        # pack without a label is left to the pack's validation, which names the path.
        inner = self.pack.get("version") if isinstance(self.pack, dict) else None
        inner = inner.get("label") if isinstance(inner, dict) else None
        if isinstance(inner, str) and inner and (not label_validator.regex.match(inner) or inner in RESERVED_LABELS):
            self.add_error(
                "label",
                _("The pack's label '%(label)s' cannot be used in an address; give the version a label here.")
                % {"label": inner},
            )
        return cleaned


class PublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("In force from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for at once. Until then the version in force stays in force."),
    )
    # The revision the admin saw: a draft changed since then is not published unseen.
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("effective_from", "revision")


class RowForm(forms.Form):
    """One row of a section in its rule-pack form, as JSON."""

    row = forms.CharField(
        label=_("Row (rule-pack JSON)"),
        widget=forms.Textarea(
            attrs={
                "rows": 24,
                "spellcheck": "false",
                "class": "form-control font-monospace",
                "aria-describedby": "row-help",
            }
        ),
        strip=False,
    )
    # The row as the page showed it, so an edit made meanwhile by someone else is not overwritten unseen.
    original = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)

    def clean_row(self) -> dict:
        row = parse_json(self.cleaned_data["row"], what=_("row"))
        if not isinstance(row, dict):
            raise forms.ValidationError(_("A row is a JSON object: {…}."))
        return row

    def clean_original(self):
        raw = self.cleaned_data.get("original")
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise forms.ValidationError(_("The page is damaged; reload it and try again.")) from None


class DiffForm(forms.Form):
    against = forms.ModelChoiceField(
        label=_("Compare with"),
        queryset=RuleSetVersion.objects.all(),
        to_field_name="label",
        empty_label=None,
    )
