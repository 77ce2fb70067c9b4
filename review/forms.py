"""Browser forms for the review. They check shape; the services decide (and refuse with field errors)."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role

from .models import CaseNote, Recommendation, RefusalReason, RoutingRule


def _helper() -> FormHelper:
    # The templates write the <form> element (with the case's version beside the fields).
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class HelperForm(forms.Form):
    # The review panel shows several of these forms at once, and three have a field named `reason`: each form's
    # ids carry its own prefix, so every label and error link points at its own field.
    id_prefix = ""

    def __init__(self, *args, **kwargs):
        if self.id_prefix:
            kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.helper = _helper()


class RecommendForm(HelperForm):
    recommendation = forms.ChoiceField(label=_("Decision"), choices=Recommendation.Decision.choices)
    reasons = forms.CharField(
        label=_("Reasons (internal)"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the authority's staff; the applicant does not read them."),
    )
    conditions = forms.CharField(
        label=_("Conditions"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    refusal_reasons = forms.ModelMultipleChoiceField(
        label=_("Standard refusal reasons"),
        queryset=RefusalReason.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    applicant_text = forms.CharField(
        label=_("Text for the applicant"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent with the decision. Required for a refusal."),
    )


class CountersignForm(HelperForm):
    agree = forms.TypedChoiceField(
        label=_("Your decision"),
        choices=[("yes", _("Agree: the decision takes effect")), ("no", _("Disagree: return to the reviewer"))],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you disagree."),
    )


class ReasonForm(HelperForm):
    id_prefix = "release"

    reason = forms.CharField(
        label=_("Reason"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(HelperForm):
    id_prefix = "close"

    reason = forms.CharField(label=_("Reason for closing"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReassignForm(HelperForm):
    id_prefix = "reassign"

    assignee = forms.ModelChoiceField(label=_("Give the case to"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Reason"), max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            User.objects.filter(is_active=True, groups__name__in=[Role.REVIEWER, Role.SENIOR_REVIEWER])
            .distinct()
            .order_by("username")
        )


class NoteForm(HelperForm):
    text = forms.CharField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(label=_("Who reads it"), choices=CaseNote.Visibility.choices)

    def __init__(self, *args, officer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if officer:
            # Officers write to the authority: the one kind of note they may write, and read back.
            self.fields["visibility"].choices = [(CaseNote.Visibility.APPLICANT, _("To the authority"))]
            self.fields["visibility"].initial = CaseNote.Visibility.APPLICANT
            self.fields["visibility"].widget = forms.HiddenInput()


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = [
            "queue",
            "priority",
            "min_outcome",
            "max_outcome",
            "destination_country",
            "licence_type",
            "description",
            "active",
        ]
        labels = {
            "min_outcome": _("Lowest screening outcome"),
            "max_outcome": _("Highest screening outcome"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()
