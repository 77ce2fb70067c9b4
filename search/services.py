"""Writes for saved searches. A saved search is personal: only its owner creates, reads or deletes it."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record

from .forms import normalised_query
from .models import SavedSearch


def saved_search_create(*, user: User, name: str, query: str) -> SavedSearch:
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the search a name.")})
    query = normalised_query(query, user=user)
    try:
        with transaction.atomic():
            saved = SavedSearch.objects.create(user=user, name=name, query=query)
            audit_record(
                actor=user, verb="search.saved", target=saved, organisation=user.organisation, after={"query": query}
            )
    except IntegrityError:
        raise ValidationError({"name": _("You already have a saved search with this name.")}) from None
    return saved


@transaction.atomic
def saved_search_delete(*, user: User, saved: SavedSearch) -> None:
    # The selector has already answered 404 for someone else's search; this guards any other caller.
    if saved.user_id != user.pk:
        raise SavedSearch.DoesNotExist
    audit_record(
        actor=user, verb="search.deleted", target=saved, organisation=user.organisation, before={"query": saved.query}
    )
    saved.delete()
