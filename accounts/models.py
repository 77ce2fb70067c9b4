from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import CASE_READER_ROLES, Role


class Organisation(models.Model):
    """An exporting organisation whose officers file cases."""

    name = models.CharField(max_length=300, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2: where the exporter is established")
    address = models.TextField(blank=True)
    registration_number = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A person who signs in. Officers belong to an organisation; the authority's staff belong to none."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    # The interface language the person chose (a code of settings.LANGUAGES), blank for the browser's. Kept on the
    # user, not only in a cookie, so the choice follows them to another browser from their next sign-in on. No
    # choices here: adding a language is a settings change, not a migration.
    language = models.CharField(max_length=16, blank=True, default="")

    @cached_property
    def role_set(self) -> frozenset[Role]:
        return self.roles_from_groups(g.name for g in self.groups.all())

    def roles_from_groups(self, names: Iterable[str]) -> frozenset[Role]:
        """The roles the groups of these names give this user (none while the user is inactive)."""
        if not self.is_authenticated or not self.is_active:
            return frozenset()
        return frozenset(Role(n) for n in set(names) if n in Role._value2member_map_)

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.role_set for role in roles)

    @property
    def is_officer(self) -> bool:
        return self.organisation_id is not None and self.has_role(Role.OFFICER, Role.ORG_ADMIN)

    @property
    def reads_all_cases(self) -> bool:
        return bool(self.role_set & CASE_READER_ROLES)

    def __str__(self) -> str:
        return self.get_full_name() or self.username
