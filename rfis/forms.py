from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from cases.vocab import DocumentType

from .selectors import standard_questions_active


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class InformationRequestForm(forms.Form):
    standard_codes = forms.MultipleChoiceField(
        label=_("Standard questions"), required=False, widget=forms.CheckboxSelectMultiple
    )
    questions = forms.CharField(
        label=_("Your questions"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("In your own words; the standard questions ticked above are sent as well."),
    )
    deadline = forms.DateField(label=_("Answer by"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.standard = list(standard_questions_active())
        self.fields["standard_codes"].choices = [(q.code, q.title) for q in self.standard]
        self.helper = _helper()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by the service as every other upload is."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}))
    files = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=_("PDF, PNG, JPEG, TIFF, DOCX, XLSX or plain text; several at once if needed."),
    )
    doc_type = forms.ChoiceField(
        label=_("Type of the documents"), choices=DocumentType.choices, initial=DocumentType.OTHER
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the request is withdrawn"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
