"""The shape of a case in the API.

A case reads and writes like the screening contract's case document (value {"amount", "currency"}, quantity
{"amount", "unit"}, end_use {categories, description, authority_notified}) plus the case's own fields. The
serializers only check shape and turn it into the flat dicts the services take (field names as in
cases.services.ITEM_FIELDS and friends); the services do the writing.
"""

import copy
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.validators import RegexValidator
from django.urls import reverse
from django_countries import countries
from rest_framework import serializers
from rest_framework.fields import empty

from .models import Case, Document, currency_validator, hs_code_validator
from .services import HEADER_FIELDS
from .vocab import (
    CaseStatus,
    DocumentType,
    Element,
    EndUseCategory,
    Form,
    ItemKind,
    LicenceType,
    PartyCategory,
    PartyRole,
    TechnologyArea,
    Transaction,
)

UNKNOWN_FIELD = "unknown field"
# The contract's decimal string: digits with an optional fraction; no exponent, no thousands or decimal comma.
# A minus sign gets through here so that a negative amount is refused with the clearer "at least 0" message.
DECIMAL_PATTERN = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
COUNTRY_PATTERN = r"^[A-Z]{2}$"


# Fields that hold nothing but their settings. DRF builds every serializer's fields afresh by deep-copying the
# declared ones, which re-runs each field's __init__; for the case, with its items and parties, that was a good
# part of every request. A shallow copy of one of these is as independent as DRF needs (bind() sets the name and
# parent on the copy alone) and shares only what is never changed after __init__: validators, error messages,
# choices. Fields that contain fields (serializers, list fields) are still deep-copied, as they bind their child.
SETTINGS_ONLY_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FileField,
    serializers.IntegerField,
    serializers.SerializerMethodField,
)


class Serializer(serializers.Serializer):
    """A DRF serializer whose fields are built by copying the declared ones cheaply where that is safe."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            name: copy.copy(field) if isinstance(field, SETTINGS_ONLY_FIELDS) else copy.deepcopy(field)
            for name, field in self._declared_fields.items()
        }


class StrictSerializer(Serializer):
    # Refuses keys it does not know, as the contract does: a misspelt key must not be dropped silently. Each
    # unknown key is reported at its own path ("items[0].colour"), together with every other error of the same
    # object. Read-only fields are known keys, so a case read from the API can be sent back as it is.

    def to_internal_value(self, data: Any) -> Any:
        unknown = [key for key in data if key not in self.fields] if isinstance(data, Mapping) else []
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unknown or not isinstance(exc.detail, Mapping):
                raise
            detail = dict(exc.detail)
            detail.update({key: [UNKNOWN_FIELD] for key in unknown})
            raise serializers.ValidationError(detail) from None
        if unknown:
            raise serializers.ValidationError({key: [UNKNOWN_FIELD] for key in unknown})
        return value


class NullAsBlankMixin:
    """An optional text or code: null and "" both mean "none" and are stored as ""; "none" reads back as null."""

    def run_validation(self, data: Any = empty) -> Any:
        if data is None:
            data = ""
        return super().run_validation(data)

    def to_representation(self, value: Any) -> Any:
        if not value:
            return None
        return super().to_representation(value)


class CountryCodeField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code, exactly as the contract writes it: two capital letters of a real country."""

    default_error_messages = {
        "invalid_country": "'{input}' is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. DE)."
    }

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2 country code, e.g. DE")
        super().__init__(max_length=2, validators=[RegexValidator(COUNTRY_PATTERN)], **kwargs)

    def to_internal_value(self, data: Any) -> str:
        code = super().to_internal_value(data)
        # countries.alpha2() would also take names and alpha-3 codes; the contract takes the code only.
        if not re.fullmatch(COUNTRY_PATTERN, code) or countries.alpha2(code) != code:
            self.fail("invalid_country", input=code)
        return code

    def to_representation(self, value: Any) -> str:
        return getattr(value, "code", value)


class OptionalCountryField(NullAsBlankMixin, CountryCodeField):
    def __init__(self, **kwargs: Any):
        super().__init__(required=False, allow_null=True, allow_blank=True, **kwargs)


class OptionalCharField(NullAsBlankMixin, serializers.CharField):
    def __init__(self, **kwargs: Any):
        super().__init__(required=False, allow_null=True, allow_blank=True, **kwargs)


class OptionalChoiceField(NullAsBlankMixin, serializers.ChoiceField):
    def __init__(self, choices: Any, **kwargs: Any):
        super().__init__(choices, required=False, allow_null=True, allow_blank=True, **kwargs)


class DecimalStringField(serializers.DecimalField):
    """A decimal amount sent and returned as a string ("42000.00"), so no float ever touches it.

    JSON numbers are refused: a parser has already turned them into binary floats, and 0.1 is not 0.1."""

    default_error_messages = {
        "not_string": 'Send the amount as a decimal string, e.g. "42000.00", not as a JSON number.',
        "invalid": 'Not a decimal number: use digits with a point for decimals, e.g. "12.5".',
    }
    accepts_numbers = False

    def __init__(self, *, normalize: bool = False, **kwargs: Any):
        kwargs.setdefault("min_value", Decimal("0"))
        super().__init__(coerce_to_string=True, **kwargs)
        # Quantities and shares read back without padding ("0.025", not "0.02500000"); money keeps its cents.
        self.normalize = normalize

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int | float):
            if not self.accepts_numbers:
                self.fail("not_string")
            data = format(Decimal(repr(data)), "f")
        if not isinstance(data, str) or not DECIMAL_PATTERN.match(data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)

    def to_representation(self, value: Any) -> Any:
        if value is None:
            return None
        if self.normalize:
            return format(Decimal(value).normalize(), "f")
        return super().to_representation(value)


class ShareField(DecimalStringField):
    """A share of a whole, between 0 and 1 (0.001 is 0.1 %). The contract writes shares as JSON numbers, so
    those are taken too; they come back as decimal strings."""

    accepts_numbers = True

    def __init__(self, **kwargs: Any):
        super().__init__(
            max_digits=9, decimal_places=8, min_value=Decimal("0"), max_value=Decimal("1"), normalize=True, **kwargs
        )


class FlattenedSerializer(StrictSerializer):
    # A nested object of the API stored as flat fields of its parent (used with source="*"): value.amount is
    # Item.value_amount. `cleared` is what those fields become when the client sends null for the whole object.

    cleared: dict[str, Any] = {}

    def run_validation(self, data: Any = empty) -> Any:
        if data is None and self.allow_null:
            return dict(self.cleared)
        return super().run_validation(data)

    def to_representation(self, instance: Any) -> Any:
        data = super().to_representation(instance)
        if self.allow_null and all(data[name] in (None, "") for name in data):
            return None
        return data


class MoneySerializer(FlattenedSerializer):
    """An amount of money: a decimal string and an ISO 4217 currency code."""

    amount = DecimalStringField(source="value_amount", max_digits=18, decimal_places=2)
    currency = serializers.CharField(source="value_currency", max_length=3, validators=[currency_validator])

    cleared = {"value_amount": None, "value_currency": ""}


class QuantitySerializer(FlattenedSerializer):
    """A quantity: a decimal string and its unit (kg, pcs, …)."""

    amount = DecimalStringField(source="quantity_amount", max_digits=18, decimal_places=6, normalize=True)
    unit = serializers.CharField(source="quantity_unit", max_length=16)

    cleared = {"quantity_amount": None, "quantity_unit": ""}


class ElementSerializer(StrictSerializer):
    """A controlled element the item consists of or contains."""

    element = serializers.ChoiceField(Element.choices)
    form = serializers.ChoiceField(Form.choices)
    mass_fraction = ShareField(required=False, allow_null=True)


class ContentSerializer(StrictSerializer):
    """A controlled input inside an item made abroad, with its origin and share of the item's value."""

    control_code = OptionalCharField(max_length=32)
    element = OptionalChoiceField(Element.choices)
    form = OptionalChoiceField(Form.choices)
    origin_country = CountryCodeField()
    value_share = ShareField(help_text="Share of the item's value; 0.001 is 0.1 %.")


class ItemSerializer(StrictSerializer):
    """An item line: goods, technology, software or a service."""

    kind = serializers.ChoiceField(ItemKind.choices)
    description = serializers.CharField(max_length=2000)
    control_code = OptionalCharField(max_length=32, help_text="The control code the exporter declares, e.g. 1C902.a")
    hs_code = OptionalCharField(max_length=10, validators=[hs_code_validator])
    produced_in = OptionalCountryField()
    origin_country = OptionalCountryField()
    technology_origin = OptionalCountryField()
    quantity = QuantitySerializer(source="*", required=False, allow_null=True)
    value = MoneySerializer(source="*", required=False, allow_null=True)
    elements = ElementSerializer(many=True, required=False, max_length=30)
    content = ContentSerializer(many=True, required=False, max_length=100)
    deep_processed = serializers.BooleanField(required=False)
    technology_area = OptionalChoiceField(TechnologyArea.choices)
    public_domain = serializers.BooleanField(required=False)


class OwnerSerializer(StrictSerializer):
    """A declared owner of a party, with the share it holds."""

    name = serializers.CharField(max_length=300)
    country = OptionalCountryField()
    share = ShareField()


class PartySerializer(StrictSerializer):
    """A party to the transaction: end user, consignee, purchaser…"""

    role = serializers.ChoiceField(PartyRole.choices)
    name = serializers.CharField(max_length=300)
    address = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    country = CountryCodeField()
    category = serializers.ChoiceField(PartyCategory.choices, required=False)
    owners = OwnerSerializer(many=True, required=False, max_length=20)


class EndUseSerializer(StrictSerializer):
    """What the items will be used for."""

    categories = serializers.ListField(
        child=serializers.ChoiceField(EndUseCategory.choices), source="end_use_categories", required=False
    )
    description = serializers.CharField(source="end_use_description", max_length=5000, required=False, allow_blank=True)
    authority_notified = serializers.BooleanField(required=False)

    def validate_categories(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError("Name each category once.")
        return value


class OrganisationSerializer(Serializer):
    name = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True)


class PersonSerializer(Serializer):
    username = serializers.CharField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)


class DocumentSerializer(Serializer):
    id = serializers.IntegerField(read_only=True)
    doc_type = serializers.ChoiceField(DocumentType.choices, read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Document) -> str:
        # document.case is the case it was prefetched from or uploaded to: no query.
        url = reverse(
            "api-case-document-download", kwargs={"reference": document.case.reference, "document_id": document.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class DocumentUploadSerializer(StrictSerializer):
    doc_type = serializers.ChoiceField(DocumentType.choices)
    file = serializers.FileField(help_text="PDF, PNG, JPEG, TIFF, DOCX, XLSX or plain text; the content decides.")


class CaseSerializer(StrictSerializer):
    """A case with its facts. Writes take the same shape; every fact is optional, because a draft may be saved
    at any point (the completeness check says what is still missing)."""

    reference = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(CaseStatus.choices, read_only=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="On update: the version you read. If the case has moved on since, nothing is written (409).",
    )
    licence_type = serializers.ChoiceField(LicenceType.choices, required=False)
    transaction = serializers.ChoiceField(Transaction.choices, required=False)
    destination_country = OptionalCountryField()
    decisive_date = serializers.DateField(
        required=False, allow_null=True, help_text="The intended export date: the rules in force on it apply."
    )
    items = ItemSerializer(many=True, required=False, max_length=500)
    parties = PartySerializer(many=True, required=False, max_length=50)
    end_use = EndUseSerializer(source="*", required=False)
    organisation = OrganisationSerializer(read_only=True)
    filed_by = PersonSerializer(read_only=True)
    documents = DocumentSerializer(many=True, read_only=True)
    copied_from = serializers.CharField(source="copied_from.reference", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)  # null until submitted

    def service_data(self, *, replace: bool) -> dict[str, Any]:
        """The validated case as the dict the services take.

        With `replace` (PUT) a field left out goes back to its default, as a full replacement should; without it
        (PATCH) only the fields sent change. Items and parties, when sent, always replace the whole list."""
        data = {k: v for k, v in self.validated_data.items() if k != "version"}
        if replace:
            defaults: dict[str, Any] = {f: Case._meta.get_field(f).get_default() for f in HEADER_FIELDS}
            defaults.update(items=[], parties=[])
            data = {**defaults, **data}
        return data

    @property
    def expected_version(self) -> int | None:
        return self.validated_data.get("version")


class CaseSummarySerializer(Serializer):
    """A line of the case list: the header, without the facts."""

    reference = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(CaseStatus.choices, read_only=True)
    version = serializers.IntegerField(read_only=True)
    licence_type = serializers.ChoiceField(LicenceType.choices, read_only=True)
    transaction = serializers.ChoiceField(Transaction.choices, read_only=True)
    destination_country = OptionalCountryField(read_only=True)
    decisive_date = serializers.DateField(read_only=True, allow_null=True)  # a draft may not name it yet
    item_count = serializers.IntegerField(read_only=True)
    party_count = serializers.IntegerField(read_only=True)
    organisation = OrganisationSerializer(read_only=True)
    filed_by = PersonSerializer(read_only=True)
    copied_from = serializers.CharField(source="copied_from.reference", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)  # null until submitted


class CaseFilterSerializer(Serializer):
    status = serializers.ChoiceField(CaseStatus.choices, required=False)
    destination = CountryCodeField(required=False, help_text="Destination country, ISO 3166-1 alpha-2")
    q = serializers.CharField(
        required=False, max_length=200, help_text="Part of the reference, a party's name or an item's description"
    )


class CaseActionSerializer(StrictSerializer):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="The version you read; if the case has moved on, nothing happens (409)."
    )


class WithdrawSerializer(CaseActionSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ProblemSerializer(Serializer):
    path = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class CompletenessSerializer(Serializer):
    complete = serializers.BooleanField()
    problems = ProblemSerializer(many=True)
