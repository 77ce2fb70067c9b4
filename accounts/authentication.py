"""API token authentication that loads, with the token, what every API request asks of its user."""

from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


class UserTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading in the same query the user's organisation and the names of their
    groups (their roles): every case endpoint checks both, which would otherwise cost a query each."""

    def authenticate_credentials(self, key: str) -> tuple:
        model = self.get_model()
        # One row per group the user is in (one row with no name when in none), each with the token and user.
        rows = list(
            model.objects.filter(key=key)
            .select_related("user__organisation")
            .annotate(group_name=F("user__groups__name"))
        )
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = rows[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        token.user.role_set = token.user.roles_from_groups(row.group_name for row in rows if row.group_name)
        return (token.user, token)
