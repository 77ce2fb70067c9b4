"""API token authentication that loads, with the token, what every API request asks of its user."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from config.compiled_reads import CompiledRead, instance_from, model_columns

from .models import Organisation, User

# The token, its user and the user's organisation, one row per group the user is in (one row with no group name
# when in none). Every API request runs this, so it is compiled once (config/compiled_reads.py).
_TOKEN_READ = CompiledRead(
    lambda key: Token.objects.filter(key=key).values_list(
        *model_columns(Token),
        *model_columns(User, "user__"),
        *model_columns(Organisation, "user__organisation__"),
        "user__groups__name",
    ),
    key="\x00placeholder-token-key",
)


class UserTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, reading in the same query the user's organisation and the names of their
    groups (their roles): every case endpoint checks both, which would otherwise cost a query each."""

    def authenticate_credentials(self, key: str) -> tuple:
        rows = _TOKEN_READ.rows(key=key)
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = instance_from(Token, rows[0])
        user = instance_from(User, rows[0], len(Token._meta.concrete_fields))
        organisation = instance_from(
            Organisation, rows[0], len(Token._meta.concrete_fields) + len(User._meta.concrete_fields)
        )
        User._meta.get_field("organisation").set_cached_value(user, organisation)
        Token._meta.get_field("user").set_cached_value(token, user)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        user.role_set = user.roles_from_groups(row[-1] for row in rows if row[-1])
        return (user, token)
