"""Forms for starting a manual re-check and for triaging a finding. They parse what was typed; services act."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from screening.models import RuleSetVersion

from .models import Finding


def _published():
    return RuleSetVersion.objects.filter(status=RuleSetVersion.Status.PUBLISHED).order_by("-published_at", "-id")


def _words(text: str) -> list[str]:
    return [w.strip() for w in text.replace(";", ",").split(",") if w.strip()]


class ManualRunForm(forms.Form):
    decisive_date = forms.DateField(
        label=_("Decisive date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day the rules are applied on."),
    )
    new_version = forms.ModelChoiceField(
        queryset=RuleSetVersion.objects.none(),
        required=False,
        label=_("Rule set"),
        help_text=_("Blank: the version in force on the decisive date."),
    )
    old_version = forms.ModelChoiceField(
        queryset=RuleSetVersion.objects.none(),
        required=False,
        label=_("Compare with"),
        help_text=_("Blank: each permit's own determination, as it was issued."),
    )
    organisations = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.order_by("name"), required=False, label=_("Holders")
    )
    control_codes = forms.CharField(
        required=False, label=_("Control codes"), help_text=_("Comma-separated; a code covers the codes it begins.")
    )
    countries = forms.CharField(
        required=False, label=_("Destinations"), help_text=_("Comma-separated ISO codes, e.g. US, DE.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_version"].queryset = _published()
        self.fields["old_version"].queryset = _published()

    def clean_control_codes(self):
        return [c.replace(" ", "").upper() for c in _words(self.cleaned_data["control_codes"])]

    def clean_countries(self):
        codes = [c.upper() for c in _words(self.cleaned_data["countries"])]
        bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
        if bad:
            raise forms.ValidationError(_("Not a country code: %(codes)s"), params={"codes": ", ".join(bad)})
        return codes


class FindingFilterForm(forms.Form):
    direction = forms.ChoiceField(
        choices=[("", _("Any direction"))] + list(Finding.Direction.choices), required=False, label=_("Direction")
    )
    status = forms.ChoiceField(
        choices=[("", _("Any status"))] + list(Finding.Status.choices), required=False, label=_("Status")
    )
    run = forms.IntegerField(required=False, min_value=1, label=_("Run"))
    q = forms.CharField(required=False, label=_("Permit or holder"))


class TriageForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("keep", "suspend", "revoke", "reapply", "noted")])
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
