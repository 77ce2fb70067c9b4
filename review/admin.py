from django.contrib import admin

from audit.admin_trail import AuditedAdmin

from .models import CaseAssignment, Queue, Recommendation, RefusalReason, RoutingRule


@admin.register(Queue)
class QueueAdmin(AuditedAdmin):
    list_display = ("name", "slug", "senior_only", "is_default")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedAdmin):
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
class CaseAssignmentAdmin(AuditedAdmin):
    # Assignment changes go through the services (claim, release, reassign), which check and audit them; a
    # superuser may still delete one (a case routed by mistake), which is audited here.
    list_display = ("case", "queue", "outcome", "assigned_to", "assigned_at")
    list_filter = ("queue",)
    readonly_fields = ("case", "queue", "outcome", "rule", "assigned_to", "assigned_at", "routed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RefusalReason)
class RefusalReasonAdmin(AuditedAdmin):
    list_display = ("code", "title", "active")
    list_editable = ("active",)


@admin.register(Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    # Recommendations and countersignatures are made through the services, which enforce four eyes and audit.
    list_display = ("case", "reviewer", "decision", "needs_countersignature", "countersigned_by", "countersign_agreed")
    list_filter = ("decision", "needs_countersignature")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
