from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditTrailIsAppendOnly(Exception):
    pass


class AuditEvent(models.Model):
    """One thing that happened: who did what to which object, with the state before and after.

    Rows are written once and never changed. The model refuses updates and deletes; on PostgreSQL a trigger
    (migration 0002) refuses them for raw SQL too.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept as text as well, so the trail still reads right if a user is renamed.
    actor_name = models.CharField(max_length=300, blank=True)
    # Indexed by Meta.indexes, not db_index: on PostgreSQL db_index adds a second, pattern index (verb LIKE 'x%')
    # that no query uses, written on every event.
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=300, blank=True)
    # The case an event belongs to, when there is one: the case page's timeline reads by this.
    # Not indexed alone: the index on (case, at), the case page's timeline, leads with it.
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events", db_index=False
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"]),
            models.Index(fields=["case", "at"]),
            # The admin's filter by verb. Named as the db_index one was, so migration 0003 keeps that index.
            models.Index(fields=["verb"], name="audit_auditevent_verb_41a3b318"),
        ]

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events cannot be deleted.")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or 'system'} {self.verb} {self.target_repr}"
