import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import json_loads_strict

from .contract import load_schema
from .interface import case_document_errors, resolve_rule_set, screen
from .selectors import NoRuleSet

EXAMPLE = json.loads((Path(__file__).parent / "contract" / "examples" / "e4-reexport-dy-oxide.case.json").read_text())


class RawJSONParser(BaseParser):
    """Hands the view the raw body, so the view can parse decimals as Decimal and report bad JSON as a 400."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read()


class ScreeningView(APIView):
    """Stateless screening: a case document in, a determination out. Nothing is stored."""

    parser_classes = [RawJSONParser]

    @extend_schema(
        operation_id="screenings_create",
        summary="Screen a case document",
        description=(
            "Screens one case document (case.schema.json) against the rule set in force, or the published "
            "version named by `rule_set`, and returns the determination (determination.schema.json). Invalid "
            "input answers 400 with errors keyed by JSON path."
        ),
        request={"application/json": load_schema("case")},
        responses={200: load_schema("determination"), 400: OpenApiTypes.OBJECT},
        parameters=[
            OpenApiParameter("rule_set", str, description="a published rule-set version label"),
            OpenApiParameter("date", OpenApiTypes.DATE, description="screen on this date instead of decisive_date"),
        ],
        examples=[OpenApiExample("E4: Chinese-origin dysprosium oxide re-exported", value=EXAMPLE, request_only=True)],
    )
    def post(self, request):
        try:
            doc = json_loads_strict(request.data or b"null", parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            return Response({"errors": {"$": [f"invalid JSON: {exc}"]}}, status=status.HTTP_400_BAD_REQUEST)
        errors = case_document_errors(doc)
        decisive = None
        if request.query_params.get("date"):
            try:
                decisive = date.fromisoformat(request.query_params["date"])
            except ValueError:
                errors["?date"] = ["not a date (YYYY-MM-DD)"]
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            version = resolve_rule_set(request.query_params.get("rule_set"))
        except NoRuleSet as exc:
            return Response({"errors": {"?rule_set": [str(exc)]}}, status=status.HTTP_400_BAD_REQUEST)
        return Response(screen(doc, version=version, decisive_date=decisive))
