from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.contrib import admin
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from rest_framework.authtoken import admin as token_admin
from rest_framework.authtoken.models import TokenProxy

from audit.admin_trail import AuditedAdmin

from .models import Organisation, User
from .roles import Role
from .services import roles_refusal


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdmin):
    list_display = ["name", "country"]
    search_fields = ["name"]


class UserChangeForm(auth_forms.UserChangeForm):
    def clean(self):
        # The rule `user_create` applies: an exporter's member holds none of the authority's roles, and the
        # authority's staff none of an exporter's.
        cleaned = super().clean()
        if "groups" in cleaned:
            roles = {Role(g.name) for g in cleaned["groups"] if g.name in Role._value2member_map_}
            refusal = roles_refusal(organisation=cleaned.get("organisation"), roles=roles)
            if refusal:
                raise forms.ValidationError(refusal)
        return cleaned


@admin.register(User)
class UserAdmin(AuditedAdmin, BaseUserAdmin):
    form = UserChangeForm
    list_display = ["username", "email", "organisation", "is_active"]
    list_filter = ["organisation", "groups", "is_active"]
    fieldsets = BaseUserAdmin.fieldsets + (("Organisation", {"fields": ("organisation",)}),)


# Roles are groups: renaming or deleting one changes what every member may do, so it is audited like the rest.
admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdmin, BaseGroupAdmin):
    pass


# A token signs its user in to the API: handing one out is recorded, under the user's name, never the key.
admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class TokenAdmin(AuditedAdmin, token_admin.TokenAdmin):
    audit_hidden_fields = ("key",)

    def audit_target(self, obj):
        return obj.user


# Deleting an access attempt lifts a sign-in lockout: recorded, without the request data axes keeps.
class _AxesAudited(AuditedAdmin):
    audit_hidden_fields = ("get_data", "post_data")


class AccessAttemptAdmin(_AxesAudited, axes_admin.AccessAttemptAdmin):
    pass


class AccessLogAdmin(_AxesAudited, axes_admin.AccessLogAdmin):
    pass


class AccessFailureLogAdmin(_AxesAudited, axes_admin.AccessFailureLogAdmin):
    pass


for model, model_admin in (
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
):
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
