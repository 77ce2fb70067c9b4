from django.contrib import admin

from .models import Case


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only in the admin: cases change only through the application's actions, which keep the audit trail."""

    list_display = ["reference", "organisation", "status", "destination_country", "decisive_date", "created_at"]
    list_filter = ["status", "licence_type", "transaction"]
    search_fields = ["reference", "organisation__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
