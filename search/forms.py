import html
from urllib.parse import urlencode

from django import forms
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import User
from accounts.roles import Role
from cases.vocab import CaseStatus, LicenceType
from review.models import Queue
from screening.models import Outcome

from .models import SavedSearch
from .selectors import DEFAULT_SORT, SORTS

# Filters only the authority's staff see and use (see search.selectors.case_search).
STAFF_FIELDS = ("outcome", "queue", "assignee")


class PlainSelect(forms.Select):
    """A select that writes its options itself instead of rendering a template for each one: the same HTML as
    Django's Select for flat choices without per-option attributes. The destination filter lists some 250
    countries, and its per-option templates cost 35 ms of CPU on every case list page; written here, 10 ms
    (see docs/benchmarks.md, Load). Every select of the search form uses it."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        # conditional_escape per option through format_html cost more than the options themselves; an option's
        # value and label are plain text, so escaping them with the standard library gives the same bytes.
        options = "".join(
            f'<option value="{_text(option["value"])}"{" selected" if option["selected"] else ""}>'
            f"{_text(option['label'])}</option>"
            for _group, group_options, _index in widget["optgroups"]
            for option in group_options
        )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe(options),  # noqa: S308
        )


def _text(value) -> str:
    """What conditional_escape writes for a value: safe strings as they are, everything else escaped."""
    return str(value) if isinstance(value, SafeData) else html.escape(str(value))


def _destination_choices() -> list[tuple[str, str]]:
    return [("", _("Any destination")), *((c.code, c.name) for c in countries)]


class CaseSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("Reference, party, item description or control code"),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *CaseStatus.choices], widget=PlainSelect
    )
    destination = forms.ChoiceField(
        label=_("Destination"), required=False, choices=_destination_choices, widget=PlainSelect
    )
    licence_type = forms.ChoiceField(
        label=_("Licence type"),
        required=False,
        choices=[("", _("Any licence type")), *LicenceType.choices],
        widget=PlainSelect,
    )
    outcome = forms.ChoiceField(
        label=_("Screening outcome"),
        required=False,
        choices=[("", _("Any outcome")), *Outcome.choices],
        widget=PlainSelect,
    )
    queue = forms.ModelChoiceField(
        label=_("Queue"), required=False, queryset=Queue.objects.all(), empty_label=_("Any queue"), widget=PlainSelect
    )
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"),
        required=False,
        queryset=User.objects.filter(groups__name__in=[Role.REVIEWER, Role.SENIOR_REVIEWER])
        .distinct()
        .order_by("username"),
        empty_label=_("Anyone"),
        widget=PlainSelect,
    )
    submitted_from = forms.DateField(
        label=_("Submitted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    submitted_to = forms.DateField(
        label=_("Submitted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[(key, sort.label) for key, sort in SORTS.items()],
        widget=PlainSelect,
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff = user.reads_all_cases
        if not self.staff:
            for name in STAFF_FIELDS:
                del self.fields[name]

    def clean(self):
        data = super().clean()
        start, end = data.get("submitted_from"), data.get("submitted_to")
        if start and end and start > end:
            # Both fields carry the error, so neither half of a backwards range narrows the list.
            self.add_error("submitted_from", _("The start of the range comes after its end."))
            self.add_error("submitted_to", _("The end of the range comes before its start."))
        return data

    def filters(self) -> dict:
        """The valid filters as `case_search` takes them. A filter that does not validate is left out (the form
        shows its error) while the valid ones still apply."""
        if not self.is_bound:
            return {"sort": DEFAULT_SORT}
        self.is_valid()
        data = self.cleaned_data
        filters = {
            "q": data.get("q") or None,
            "status": data.get("status") or None,
            "destination": data.get("destination") or None,
            "licence_type": data.get("licence_type") or None,
            "submitted_from": data.get("submitted_from"),
            "submitted_to": data.get("submitted_to"),
            "sort": data.get("sort") or DEFAULT_SORT,
        }
        if self.staff:
            filters["outcome"] = data.get("outcome") or None
            filters["queue_id"] = data["queue"].pk if data.get("queue") else None
            filters["assignee_id"] = data["assignee"].pk if data.get("assignee") else None
        return filters

    def query_string(self) -> str:
        """The filters in force as a query string, without the page number: what a saved search keeps."""
        if not self.is_bound:
            return ""
        self.is_valid()
        pairs = []
        for name in self.fields:
            value = self.data.get(name, "")
            if value and name not in self.errors:
                pairs.append((name, value))
        return urlencode(pairs)


def normalised_query(raw: str, *, user: User) -> str:
    """A query string reduced to the search form's valid filters, so nothing else is ever stored."""
    return CaseSearchForm(QueryDict(raw), user=user).query_string()


class SavedSearchForm(forms.ModelForm):
    class Meta:
        model = SavedSearch
        fields = ["name", "query"]
        labels = {"name": _("Name this search")}
        widgets = {"query": forms.HiddenInput}
