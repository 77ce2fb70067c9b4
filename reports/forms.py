from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from .selectors import MAX_PERIOD_DAYS, default_period


class PeriodForm(forms.Form):
    """The period the figures cover. Left empty, the last twelve weeks; a wrong period is shown with its errors
    and the page keeps the default one."""

    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        # An empty form shows the period the page shows.
        self.fields["start"].initial, self.fields["end"].initial = default_period(today=today)

    def clean(self):
        data = super().clean()
        default_start, default_end = default_period(today=self.today)
        start = data.get("start") or default_start
        end = data.get("end") or default_end
        if "start" in self.errors or "end" in self.errors:
            return data
        if end < start:
            self.add_error("end", _("The end of the period is before its start."))
        elif end - start > timedelta(days=MAX_PERIOD_DAYS):
            self.add_error("start", _("A period of at most %(days)s days, please.") % {"days": MAX_PERIOD_DAYS})
        data["start"], data["end"] = start, end
        return data

    def period(self) -> tuple[date, date]:
        """The period asked for when it is valid, else the default one."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["start"], self.cleaned_data["end"]
        return default_period(today=self.today)
