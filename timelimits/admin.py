"""Calendars are edited in the Django admin; each change goes through the services, so it is audited and the
running clocks that count on the calendar move with it."""

from django.contrib import admin

from audit.admin_trail import AuditedAdmin

from .models import CalendarDay, CaseClock, HolidayCalendar
from .services import calendar_day_delete, calendar_day_save


@admin.register(HolidayCalendar)
class HolidayCalendarAdmin(AuditedAdmin):
    # Days are edited one by one (Calendar days), never inline here: that is where the audit and the clocks
    # follow each change. The calendar itself (its code and name, or its deletion) is audited by AuditedAdmin.
    list_display = ["code", "name"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ["date", "kind", "name", "calendar"]
    list_filter = ["calendar", "kind"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        calendar_day_save(day=obj, actor=request.user)

    def delete_model(self, request, obj):
        calendar_day_delete(day=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for day in queryset.select_related("calendar"):
            calendar_day_delete(day=day, actor=request.user)


@admin.register(CaseClock)
class CaseClockAdmin(admin.ModelAdmin):
    list_display = ["case", "started_on", "limit_working_days", "paused_since", "due_on", "stopped_on"]
    list_select_related = ["case"]
    readonly_fields = [f.name for f in CaseClock._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
