"""The Django admin writes to the audit trail as every other door does.

Organisations, users and their roles, queues, routing rules, refusal reasons, standard questions, calendars and the
sign-in lockouts are edited in the admin (superusers only: nothing in the application makes anyone staff). Django
records an admin action in its own log table, which is an ordinary, editable table; `AuditedAdmin` records each
addition, change and deletion in the audit trail as well, from the three hooks every admin path calls: the add and
change forms, the list's editable columns, the delete page and the "delete selected" action, and the user admin's
password form. Each event is written in the admin's own transaction, so a change that fails records nothing.

A change records the fields the form changed, as stored before and after (a relation as the related object's text,
a many-to-many field as the sorted texts of its members); an addition records every field, a deletion every field
as it was. Fields that hold secrets (`audit_hidden_fields`: the password hash, a token's key) are never recorded.
`tests/test_admin_trail.py` holds every registered admin to this: audited, read-only, or going through the services.
"""

from typing import Any

from django.contrib import admin
from django.db import models

from .services import audit_record


def _plain(value: Any) -> Any:
    """A stored value as the trail keeps it: a related object as its text, members sorted; the rest is left to
    the trail's JSON encoder (dates, decimals)."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set | models.QuerySet):
        return sorted(str(v) for v in value)
    return value


class AuditedAdmin(admin.ModelAdmin):
    audit_hidden_fields: tuple[str, ...] = ("password",)

    def audit_target(self, obj: models.Model) -> models.Model:
        """The object the event names; an admin whose objects are known by a secret (a token) names another."""
        return obj

    # --- what is recorded ---------------------------------------------------------------------------------------

    def _recorded_fields(self, names: list[str] | None = None) -> list[models.Field]:
        fields = [
            f
            for f in [*self.model._meta.concrete_fields, *self.model._meta.many_to_many]
            if f.name not in self.audit_hidden_fields
        ]
        return fields if names is None else [f for f in fields if f.name in names]

    def _snapshot(self, obj: models.Model, fields: list[models.Field]) -> dict[str, Any]:
        values = {}
        for field in fields:
            if field.many_to_many:
                values[field.name] = _plain(list(getattr(obj, field.name).all()))
            elif field.is_relation:
                values[field.name] = _plain(getattr(obj, field.name))
            else:
                values[field.name] = _plain(field.value_from_object(obj))
        return values

    def _record(self, request, obj: models.Model, verb: str, *, before=None, after=None, message="", gone=False):
        from accounts.models import Organisation

        # A deleted object cannot be the event's organisation or case: the event outlives it.
        if isinstance(obj, Organisation):
            organisation = None if gone else obj
        else:
            organisation = getattr(obj, "organisation", None) if hasattr(obj, "organisation_id") else None
        case = getattr(obj, "case", None) if hasattr(obj, "case_id") else None
        audit_record(
            actor=request.user,
            verb=f"admin.{self.model._meta.model_name}.{verb}",
            target=self.audit_target(obj),
            case=case,
            organisation=organisation,
            before=before,
            after=after,
            message=message,
        )

    # --- the admin's hooks ----------------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change:
            # Read as stored before this save: the form has already put the new values on `obj`, and many-to-many
            # fields are saved after this (save_related), so the stored row still holds the old ones.
            fields = self._recorded_fields(list(form.changed_data))
            stored = type(obj)._default_manager.filter(pk=obj.pk).first()
            obj._audit_fields = fields
            obj._audit_before = self._snapshot(stored, fields) if stored is not None else None
        super().save_model(request, obj, form, change)

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        self._record(
            request,
            obj,
            "added",
            after=self._snapshot(obj, self._recorded_fields()),
            message=entry.get_change_message(),
        )
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        # The password form of the user admin changes a hidden field without save_model: only its message.
        fields = getattr(obj, "_audit_fields", [])
        self._record(
            request,
            obj,
            "changed",
            before=getattr(obj, "_audit_before", None) if fields else None,
            after=self._snapshot(obj, fields) if fields else None,
            message=entry.get_change_message(),
        )
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        for obj in queryset:
            self._record(request, obj, "deleted", before=self._snapshot(obj, self._recorded_fields()), gone=True)
        return entries
