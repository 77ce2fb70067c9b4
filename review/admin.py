from django.contrib import admin

from .models import CaseAssignment, Queue, RoutingRule


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "senior_only", "is_default")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = (
        "priority",
        "queue",
        "min_outcome",
        "max_outcome",
        "destination_country",
        "licence_type",
        "active",
        "description",
    )
    list_editable = ("queue", "active")
    list_filter = ("queue", "active")


@admin.register(CaseAssignment)
class CaseAssignmentAdmin(admin.ModelAdmin):
    # Assignment changes go through the services (claim, release, reassign), which check and audit them.
    list_display = ("case", "queue", "outcome", "assigned_to", "assigned_at")
    list_filter = ("queue",)
    readonly_fields = ("case", "queue", "outcome", "rule", "assigned_to", "assigned_at", "routed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
