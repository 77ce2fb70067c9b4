"""API sign-in: a token for a username and password.

The password is checked through django.contrib.auth.authenticate with the request, like the login page, so
django-axes counts failures and locks a username out after repeated ones for the API too."""

from datetime import timedelta

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate, user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import StrictJSONParser

WRONG_CREDENTIALS = "Unable to sign in with that username and password."


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, cool_off: timedelta | None):
        if cool_off:
            minutes = max(1, round(cool_off.total_seconds() / 60))
            detail = (
                f"Too many failed sign-ins: this account is locked for up to {minutes} minutes. "
                "Try again later, or ask an administrator to unlock it."
            )
            # Read by DRF's exception handler into a Retry-After header.
            self.wait = int(cool_off.total_seconds())
        else:
            detail = "Too many failed sign-ins: this account is locked. Ask an administrator to unlock it."
        super().__init__(detail)


class TokenCredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text='Send it as "Authorization: Token <token>".')


class ObtainTokenApi(APIView):
    # Credentials are the body; a stale token or a session must not stand in the way of getting a new token.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Get an API token",
        request=TokenCredentialsSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(
                inline_serializer(
                    "TokenErrors",
                    {"errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))},
                ),
                description="Missing fields, or a wrong username or password (non_field_errors).",
            ),
            429: OpenApiResponse(
                inline_serializer("LockedOut", {"detail": serializers.CharField()}),
                description="Too many failed sign-ins: the account is locked for a while.",
            ),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        credentials = TokenCredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        # The DRF request, as DRF's own token view passes it: axes marks it when the account is locked out, and
        # the mark stays on this request, so this view answers in JSON rather than axes' HTML lockout page.
        user = authenticate(
            request=request,
            username=credentials.validated_data["username"],
            password=credentials.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise LockedOut(get_cool_off(request))
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": [WRONG_CREDENTIALS]})
        # A token is a sign-in: last_login is updated and axes forgets earlier failures, as for the login page.
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
