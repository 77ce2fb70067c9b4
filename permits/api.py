"""The permit API under /api/v1/permits: the permits a user may see, shipments, and lifecycle actions.

Thin views, as for cases: permits are read through `permit_get_for_user` (404 to outsiders), the services decide,
and their refusals become answers here: bad input 400 keyed by path (`lines[0].quantity`), an action not open
from the permit's status or a permit changed since it was read 409, an action this user may not take 403."""

from decimal import Decimal

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.api import BAD_REQUEST, DETAIL, FORBIDDEN, Conflict, api_exception
from cases.vocab import LicenceType
from config.api import StrictJSONParser

from .models import Permit, PermitStatus
from .selectors import permit_balance, permit_chain, permit_get_for_user, permit_register, permit_register_rows
from .services import shipment_record
from .workflow import TRANSITIONS, PermitChanged, TransitionNotAllowed, allowed_actions, permit_transition

NOT_FOUND = OpenApiResponse(DETAIL, description="No such permit, or not one you may see.")
CONFLICT = OpenApiResponse(DETAIL, description="Not allowed in the permit's status, or it changed since you read it.")


def _plain(amount, places: int) -> str:
    # Decimal strings with the places the database keeps, whether the amount came from a row or a sum.
    return format(Decimal(amount).quantize(Decimal(1).scaleb(-places)), "f")


class PermitItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="item.pk")
    description = serializers.CharField(source="item.description")
    control_code = serializers.CharField(source="item.control_code")
    quantity = serializers.SerializerMethodField()
    value = serializers.SerializerMethodField()

    def get_quantity(self, balance) -> dict:
        item = balance.item
        return {
            "limit": _plain(item.quantity_limit, 6),
            "used": _plain(balance.quantity_used, 6),
            "remaining": _plain(balance.quantity_remaining, 6),
            "unit": item.quantity_unit,
        }

    def get_value(self, balance) -> dict:
        item = balance.item
        return {
            "limit": _plain(item.value_limit, 2),
            "used": _plain(balance.value_used, 2),
            "remaining": _plain(balance.value_remaining, 2),
            "currency": item.value_currency,
        }


# Permit statuses as plain strings in the schema: an enum named "status" would collide with the case statuses.
STATUS_HELP = "One of: " + ", ".join(PermitStatus.values)


class PermitSummarySerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    version = serializers.IntegerField()
    holder = serializers.CharField(source="organisation.name")
    case = serializers.CharField(source="case.reference")
    licence_type = serializers.CharField(source="licence_type.code")
    destination_country = serializers.CharField(source="destination_country.code")
    end_user = serializers.CharField(source="end_user_name")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()


class PermitSerializer(PermitSummarySerializer):
    status_reason = serializers.CharField()
    rule_set = serializers.CharField(source="rule_set.label")
    end_user_country = serializers.CharField(source="end_user_country.code")
    conditions = serializers.SerializerMethodField()
    items = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    replaces = serializers.SerializerMethodField()
    amendments = serializers.SerializerMethodField()

    def get_conditions(self, permit) -> dict:
        return {"standard": permit.standard_conditions, "text": permit.conditions_text}

    def get_items(self, permit) -> list[dict]:
        return PermitItemSerializer(permit_balance(permit=permit), many=True).data

    def get_actions(self, permit) -> list[str]:
        return [t.action for t in allowed_actions(permit, self.context["request"].user)]

    def get_replaces(self, permit) -> str | None:
        chain = self.context["chain"]
        return chain.previous.number if chain.previous else None

    def get_amendments(self, permit) -> list[dict]:
        return [
            {
                "case": c.reference,
                "kind": c.kind,
                "status": c.status,
                "permit": getattr(getattr(c, "permit", None), "number", None),
            }
            for c in self.context["chain"].amendments
        ]


class PermitFilterSerializer(serializers.Serializer):
    status = serializers.CharField(required=False, help_text=STATUS_HELP)
    # Bounded as the database's keys are: a larger number is no organisation, and SQLite cannot even compare it.
    organisation = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Holder organisation id (the authority only)"
    )
    destination = serializers.CharField(required=False, max_length=2)
    licence_type = serializers.ChoiceField(LicenceType.choices, required=False)
    valid_to_from = serializers.DateField(required=False)
    valid_to_until = serializers.DateField(required=False)
    q = serializers.CharField(required=False, max_length=200, help_text="Number, end user or control code")

    def validate_status(self, value: str) -> str:
        if value not in PermitStatus.values:
            raise serializers.ValidationError(STATUS_HELP + ".")
        return value


class ShipmentLineInSerializer(serializers.Serializer):
    item = serializers.IntegerField(help_text="A permit line's id")
    quantity = serializers.CharField(help_text='Decimal string, e.g. "12.5"')
    value = serializers.CharField(help_text='Decimal string, e.g. "1200.00"')


class ShipmentInSerializer(serializers.Serializer):
    shipped_on = serializers.DateField()
    # Amounts are checked by the service (decimal strings, limits, tolerance), which reports by line path.
    lines = serializers.ListField(child=serializers.DictField(), help_text="[{item, quantity, value}]")


class ActionInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version you read; if the permit has moved on, nothing happens (409).",
    )


class PermitApiMixin:
    parser_classes = [StrictJSONParser]
    request: Request

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, PermitChanged):
            exc = Conflict(str(exc), code="stale_version")
        elif isinstance(exc, TransitionNotAllowed):
            exc = Conflict(str(exc), code="not_allowed_in_status")
        return super().handle_exception(api_exception(exc))

    def get_permit(self, number: str) -> Permit:
        return permit_get_for_user(user=self.request.user, number=number)

    def permit_response(self, permit: Permit, status_code: int = status.HTTP_200_OK) -> Response:
        context = {"request": self.request, "chain": permit_chain(permit=permit)}
        return Response(PermitSerializer(permit, context=context).data, status=status_code)


class PermitListApi(PermitApiMixin, GenericAPIView):
    serializer_class = PermitSummarySerializer
    filter_backends: list = []

    def get_queryset(self):
        filters = PermitFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return permit_register_rows(
            permit_register(
                user=self.request.user,
                status=data.get("status"),
                # An officer sees only their own organisation's permits whatever they ask for.
                organisation_id=data.get("organisation"),
                destination=data.get("destination"),
                licence_type=data.get("licence_type"),
                valid_to_from=data.get("valid_to_from"),
                valid_to_until=data.get("valid_to_until"),
                search=data.get("q"),
            )
        )

    @extend_schema(
        summary="List the permits you may see",
        parameters=[PermitFilterSerializer],
        responses={200: PermitSummarySerializer(many=True), 400: BAD_REQUEST},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(PermitSummarySerializer(page, many=True).data)


class PermitDetailApi(PermitApiMixin, APIView):
    @extend_schema(summary="Read a permit, with its balance", responses={200: PermitSerializer, 404: NOT_FOUND})
    def get(self, request: Request, number: str) -> Response:
        return self.permit_response(self.get_permit(number))


class PermitShipmentsApi(PermitApiMixin, APIView):
    @extend_schema(
        summary="Record a shipment against a permit",
        description="The holder's officers only. Refused with nothing written beyond a line's limit plus the "
        "licence type's tolerance, outside the validity, or on a permit not in force; errors by path, e.g. "
        '"lines[0].quantity".',
        request=ShipmentInSerializer,
        responses={201: PermitSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, number: str) -> Response:
        permit = self.get_permit(number)
        data = ShipmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shipment_record(
            permit=permit,
            actor=request.user,
            shipped_on=data.validated_data["shipped_on"],
            lines=data.validated_data["lines"],
        )
        return self.permit_response(self.get_permit(number), status.HTTP_201_CREATED)


class PermitActionApi(PermitApiMixin, APIView):
    @extend_schema(
        summary="Suspend, reinstate, revoke or surrender a permit",
        description=f"Actions: {', '.join(a for a, t in TRANSITIONS.items() if t.by != 'system')}. Reviewers "
        "suspend, reinstate and revoke (with a reason); the holder's officers surrender.",
        request=ActionInSerializer,
        responses={200: PermitSerializer, 400: BAD_REQUEST, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def post(self, request: Request, number: str, action: str) -> Response:
        permit = self.get_permit(number)
        if action not in TRANSITIONS:
            raise Http404("No such action.")
        data = ActionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = data.validated_data.get("version")
        if version is not None and version != permit.version:
            raise PermitChanged(f"Permit {permit.number} was changed by someone else since you read it. Reload it.")
        permit = permit_transition(
            permit=permit, action=action, actor=request.user, reason=data.validated_data["reason"]
        )
        return self.permit_response(permit)
