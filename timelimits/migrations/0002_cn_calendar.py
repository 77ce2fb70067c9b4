"""China's public holidays and make-up working days for 2025 and 2026.

A copy, to be maintained: transcribed from the State Council General Office's annual notices on holiday
arrangements (国务院办公厅关于2025年/2026年部分节假日安排的通知, published each November). Check each new year's
notice and add it through the admin (Time limits › Calendar days); running clocks move when a day changes.
"""

from datetime import date, timedelta

from django.db import migrations


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


HOLIDAYS = [
    # 2025
    ("New Year's Day", span(date(2025, 1, 1), date(2025, 1, 1))),
    ("Spring Festival", span(date(2025, 1, 28), date(2025, 2, 4))),
    ("Qingming Festival", span(date(2025, 4, 4), date(2025, 4, 6))),
    ("Labour Day", span(date(2025, 5, 1), date(2025, 5, 5))),
    ("Dragon Boat Festival", span(date(2025, 5, 31), date(2025, 6, 2))),
    ("National Day and Mid-Autumn Festival", span(date(2025, 10, 1), date(2025, 10, 8))),
    # 2026
    ("New Year's Day", span(date(2026, 1, 1), date(2026, 1, 3))),
    ("Spring Festival", span(date(2026, 2, 15), date(2026, 2, 23))),
    ("Qingming Festival", span(date(2026, 4, 4), date(2026, 4, 6))),
    ("Labour Day", span(date(2026, 5, 1), date(2026, 5, 5))),
    ("Dragon Boat Festival", span(date(2026, 6, 19), date(2026, 6, 21))),
    ("Mid-Autumn Festival", span(date(2026, 9, 25), date(2026, 9, 27))),
    ("National Day", span(date(2026, 10, 1), date(2026, 10, 7))),
]
# Weekend days worked in exchange for the bridged days of the holidays above.
WORKING_DAYS = [
    ("Spring Festival make-up day", date(2025, 1, 26)),
    ("Spring Festival make-up day", date(2025, 2, 8)),
    ("Labour Day make-up day", date(2025, 4, 27)),
    ("National Day make-up day", date(2025, 9, 28)),
    ("National Day make-up day", date(2025, 10, 11)),
    ("New Year make-up day", date(2026, 1, 4)),
    ("Spring Festival make-up day", date(2026, 2, 14)),
    ("Spring Festival make-up day", date(2026, 2, 28)),
    ("Labour Day make-up day", date(2026, 5, 9)),
    ("National Day make-up day", date(2026, 9, 20)),
    ("National Day make-up day", date(2026, 10, 10)),
]


def seed(apps, schema_editor):
    HolidayCalendar = apps.get_model("timelimits", "HolidayCalendar")
    CalendarDay = apps.get_model("timelimits", "CalendarDay")
    calendar, _ = HolidayCalendar.objects.get_or_create(code="CN", defaults={"name": "China (State Council)"})
    for name, days in HOLIDAYS:
        for day in days:
            CalendarDay.objects.get_or_create(calendar=calendar, date=day, defaults={"kind": "holiday", "name": name})
    for name, day in WORKING_DAYS:
        CalendarDay.objects.get_or_create(calendar=calendar, date=day, defaults={"kind": "working_day", "name": name})


def unseed(apps, schema_editor):
    apps.get_model("timelimits", "HolidayCalendar").objects.filter(code="CN").delete()


class Migration(migrations.Migration):
    dependencies = [("timelimits", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
