"""Reads of accounts."""

from django.db.models import QuerySet

from .models import Organisation, User


def organisation_members(*, organisation: Organisation) -> QuerySet[User]:
    """The organisation's people, with their roles loaded in the same fixed number of queries."""
    return (
        User.objects.filter(organisation=organisation)
        .prefetch_related("groups")
        .order_by("last_name", "first_name", "username")
    )
