"""Statutory time limits: the calendars that say which days are working days, and each case's clock."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class HolidayCalendar(models.Model):
    code = models.CharField(max_length=16, unique=True, help_text=_("E.g. CN."))
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"


class CalendarDay(models.Model):
    """An exception to Monday-to-Friday: a public holiday, or a weekend day that is worked instead."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKING_DAY = "working_day", _("Working day (weekend day worked)")

    calendar = models.ForeignKey(HolidayCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="one_entry_per_calendar_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class Urgency(models.TextChoices):
    OVERDUE = "overdue", _("Overdue")
    DUE_SOON = "due_soon", _("Due soon")
    OK = "ok", _("On time")
    STOPPED = "stopped", _("Stopped")


class CaseClock(models.Model):
    """The review time limit of one case, counted in working days from submission.

    Kept up to date by `services.clock_follow_transition` as the case moves. `due_on` and `due_soon_on` are
    denormalised so that a queue can sort and colour cases without reading any calendar: `due_on` is the last
    day of the limit with the working days of finished pauses added; while a pause is open it stays where it
    was, the earliest the case can now be due. `due_soon_on` is the working day from which the case counts as
    due soon (TIMELIMITS_DUE_SOON_WORKING_DAYS before `due_on`)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="clock")
    calendar = models.ForeignKey(HolidayCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    started_on = models.DateField(help_text=_("The submission date; the clock counts the working days after it."))
    limit_working_days = models.PositiveIntegerField()
    paused_since = models.DateField(null=True, blank=True)
    paused_working_days = models.PositiveIntegerField(default=0)
    due_on = models.DateField(db_index=True)
    due_soon_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.case} due {self.due_on}"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None and self.stopped_on is None

    def urgency(self, today: date) -> str:
        """overdue | due_soon | ok | stopped. While paused the applicant holds the case: it is not overdue for
        the authority, whatever the date."""
        if self.stopped_on is not None:
            return Urgency.STOPPED
        if self.is_paused:
            return Urgency.OK
        if today > self.due_on:
            return Urgency.OVERDUE
        if today >= self.due_soon_on:
            return Urgency.DUE_SOON
        return Urgency.OK


def due_soon_working_days() -> int:
    return getattr(settings, "TIMELIMITS_DUE_SOON_WORKING_DAYS", 5)
