from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "organisation", "is_active"]
    list_filter = ["organisation", "groups", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Organisation", {"fields": ("organisation",)}),)
