from django.contrib import admin

from audit.admin_trail import AuditedAdmin

from .models import InformationRequest, StandardQuestion


@admin.register(StandardQuestion)
class StandardQuestionAdmin(AuditedAdmin):
    list_display = ("code", "title", "active")
    list_editable = ("active",)
    prepopulated_fields = {"code": ("title",)}


@admin.register(InformationRequest)
class InformationRequestAdmin(admin.ModelAdmin):
    # Requests change only through the services (open, answer, cancel, lapse), which move the case and audit.
    list_display = ("case", "status", "deadline", "opened_at", "reminder_sent_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in InformationRequest._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
