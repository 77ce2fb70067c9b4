"""The shape of a case in the API.

A case reads and writes like the screening contract's case document (value {"amount", "currency"}, quantity
{"amount", "unit"}, end_use {categories, description, authority_notified}) plus the case's own fields. The
serializers only check shape and turn it into the flat dicts the services take (field names as in
cases.services.ITEM_FIELDS and friends); the services do the writing.
"""

import copy
import inspect
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db.models import Manager
from django.urls import reverse
from django.utils.functional import cached_property
from django_countries import Countries, countries
from django_countries.fields import CountryDescriptor
from rest_framework import serializers
from rest_framework.fields import SkipField, empty, get_error_detail
from rest_framework.utils import html
from rest_framework.utils.serializer_helpers import BindingDict
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from config.countries import stored_country_code

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
# declared ones, which re-runs each field's __init__ (and, for a nested serializer, its child's and their
# fields'); for the case, with its items and parties, that was a good part of every request. A shallow copy of a
# declared field is as independent as DRF needs: the declared one is never bound to a serializer (a repr may
# build a declared serializer's fields, which its copy drops), bind() sets the name and parent on the copy alone,
# and what the copy shares is never changed after __init__: validators, error messages, choices, the arguments
# it was made with. tests/test_serializer_validation.py compares the fields built with those DRF builds.
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
# What a serializer keeps of its use (built fields, data, errors): a copy starts without it.
_SERIALIZER_STATE = ("fields", "_writable_steps", "_data", "_errors", "_validated_data", "initial_data", "instance")


def _shallow_copy(field: serializers.Field) -> Any:
    # copy.copy's result (a new instance with the same __dict__) without its generic reduce protocol, a third of
    # building a serializer's fields.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


def _copyable(field: serializers.Field) -> bool:
    # A field _fresh_copy copies without re-running __init__: settings only, or one of this module's serializers,
    # or a list of either.
    if isinstance(field, SETTINGS_ONLY_FIELDS):
        return True
    if type(field) in (serializers.ListSerializer, serializers.ListField):
        return type(field.child) in _COPYABLE or isinstance(field.child, SETTINGS_ONLY_FIELDS)
    return type(field) in _COPYABLE


def _fresh_copy(field: serializers.Field) -> serializers.Field:
    """A copy of a declared field, as DRF's deep copy would make it but without re-running __init__."""
    if not _copyable(field):
        return copy.deepcopy(field)
    clone = _shallow_copy(field)
    if type(field) in (serializers.ListSerializer, serializers.ListField):
        # The declared child is bound to the declared list already (field name "", source ""); its copy is bound
        # the same way, to the copy of the list.
        clone.child = _fresh_copy(field.child)
        clone.child.parent = clone
    elif isinstance(field, serializers.BaseSerializer):
        for name in _SERIALIZER_STATE:
            clone.__dict__.pop(name, None)
        clone.instance = None
    return clone


def _bound_copy(prototype: serializers.Field, parent: serializers.Field) -> Any:
    # A copy of a field bound already (to a template serializer), bound to `parent` instead: binding sets the
    # field name, label and source, which are the same for every serializer of a class, and the parent.
    clone = _shallow_copy(prototype)
    clone.parent = parent
    if isinstance(clone, serializers.BaseSerializer):
        for name in _SERIALIZER_STATE:
            clone.__dict__.pop(name, None)
        clone.instance = None
    if type(clone) in (serializers.ListSerializer, serializers.ListField):
        clone.child = _bound_copy(prototype.child, clone)
    return clone


class Serializer(serializers.Serializer):
    """A DRF serializer whose fields are built by copying the declared ones cheaply where that is safe."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {name: _fresh_copy(field) for name, field in self._declared_fields.items()}

    @cached_property
    def fields(self) -> BindingDict:
        """DRF's fields: copies of the declared fields, bound to this serializer.

        Built from copies bound once per class to a template serializer, re-parented to this one: binding each
        field anew was half the cost of building them. Fields _fresh_copy cannot copy are deep-copied and bound
        as DRF does, and so are all fields of a serializer that builds its own (overrides get_fields)."""
        fields = BindingDict(self)
        cls = type(self)
        if cls.get_fields is not Serializer.get_fields:
            for name, field in self.get_fields().items():
                fields[name] = field
            return fields
        prototypes = cls.__dict__.get("_field_prototypes")
        if prototypes is None:
            prototypes = cls._field_prototypes = _prototypes(cls)
        for name, prototype in prototypes:
            if prototype is None:
                fields[name] = copy.deepcopy(self._declared_fields[name])
            else:
                fields.fields[name] = _bound_copy(prototype, self)
        return fields

    def run_validators(self, value: Any) -> None:
        # DRF's adds the read-only fields' defaults to the value for the serializer's own validators; with no
        # validators (none of these serializers has any) there is nothing to run them for.
        if self.validators:
            super().run_validators(value)


def _prototypes(cls: type[Serializer]) -> tuple[tuple[str, serializers.Field | None], ...]:
    # The serializer's fields, copied and bound to a template instance; None for a field to deep-copy.
    template = cls()
    prototypes = []
    for name, declared in cls._declared_fields.items():
        if not _copyable(declared):
            prototypes.append((name, None))
            continue
        field = _fresh_copy(declared)
        field.bind(field_name=name, parent=template)
        prototypes.append((name, field))
    return tuple(prototypes)


class _Step(NamedTuple):
    # One readable field of a compiled representation, in the serializer's field order.
    name: str
    field: serializers.Field  # the field of the template serializer: DRF's own get_attribute, for the rare case
    attr: str | None  # its source when that is one plain attribute; None for source="*" (the object itself)
    kind: int  # VALUE, COUNTRY, NESTED, LIST or METHOD
    how: Any  # VALUE, COUNTRY: the field's to_representation; NESTED, LIST: the nested representer; METHOD: the class


VALUE, COUNTRY, NESTED, LIST, METHOD = range(5)


class _Run:
    """What one representation needs beyond the object: the root's context, for SerializerMethodFields."""

    __slots__ = ("context", "hosts")

    def __init__(self, context: dict[str, Any]):
        self.context = context
        self.hosts: dict[type, serializers.Serializer] = {}

    def host(self, serializer_class: type[serializers.Serializer]) -> serializers.Serializer:
        # The method of a SerializerMethodField reads the context through its serializer; one instance of that
        # serializer per representation, sharing the root's context as DRF's nested serializers do.
        host = self.hosts.get(serializer_class)
        if host is None:
            host = self.hosts[serializer_class] = serializer_class(context=self.context)
        return host


def _compile(serializer: serializers.Serializer) -> tuple[_Step, ...]:
    """The readable fields of a bound serializer as steps for _represent, nested serializers compiled too."""
    steps = []
    for field in serializer._readable_fields:
        attrs = field.source_attrs
        attr = attrs[0] if len(attrs) == 1 else None
        if isinstance(field, serializers.ListSerializer):
            if type(field).to_representation is not serializers.ListSerializer.to_representation:
                raise TypeError(f"{type(field).__name__} represents lists its own way: compile it explicitly.")
            kind, how = LIST, _representer(field.child)
        elif isinstance(field, serializers.BaseSerializer):
            kind, how = NESTED, _representer(field)
        elif isinstance(field, serializers.SerializerMethodField):
            kind, how = METHOD, type(field.parent)
        else:
            # A plain field converts a value on its own: the template's field does it as well as any copy.
            kind, how = VALUE, field.to_representation
            if isinstance(field, CountryCodeField) and attr:
                kind = COUNTRY
            elif type(field) is serializers.CharField:
                how = str  # CharField.to_representation is str(); the call through the field is most of its cost
            elif type(field) is serializers.IntegerField:
                how = int
        if len(attrs) > 1:
            attr = ""  # a dotted source: DRF's get_attribute walks it
        steps.append(_Step(field.field_name, field, attr, kind, how))
    return tuple(steps)


def _representer(serializer: serializers.BaseSerializer) -> Any:
    # The representation of a nested serializer, as its class's to_representation would make it.
    steps = _compile(serializer)
    method = type(serializer).to_representation
    if method in (serializers.Serializer.to_representation, CompiledRepresentation.to_representation):
        return lambda instance, run: _represent(steps, instance, run)
    if method is FlattenedSerializer.to_representation:
        if not serializer.allow_null:
            return lambda instance, run: _represent(steps, instance, run)

        def flattened(instance: Any, run: _Run) -> Any:
            data = _represent(steps, instance, run)
            return None if all(data[name] in (None, "") for name in data) else data

        return flattened
    raise TypeError(f"{type(serializer).__name__} has its own to_representation: compile it explicitly.")


def _represent(steps: tuple[_Step, ...], instance: Any, run: _Run) -> dict[str, Any]:
    """DRF's Serializer.to_representation over compiled steps: the same keys, in the same order, with the same
    values, without building the serializer's fields or walking them through generators."""
    ret: dict[str, Any] = {}
    plain = not isinstance(instance, Mapping)
    for name, field, attr, kind, how in steps:
        if attr is None:
            value = instance
        else:
            value = _MISSING
            if plain and attr:
                if kind == COUNTRY:
                    value = _stored_country_code(instance, attr)
                if value is _MISSING:
                    try:
                        value = getattr(instance, attr)
                    except Exception:
                        value = _MISSING  # DRF decides below: a default, null, a skipped field or the error
                    else:
                        if callable(value) and not isinstance(value, Manager):
                            value = _MISSING  # DRF calls it if it takes no arguments (a manager never does)
            if value is _MISSING:
                try:
                    value = field.get_attribute(instance)
                except SkipField:
                    continue
        if value is None:
            ret[name] = None
        elif kind <= COUNTRY:
            ret[name] = how(value)
        elif kind == NESTED:
            ret[name] = how(value, run)
        elif kind == LIST:
            ret[name] = [how(item, run) for item in (value.all() if isinstance(value, Manager) else value)]
        else:
            ret[name] = getattr(run.host(how), field.method_name)(value)
    return ret


_MISSING = object()
_PLAIN_GET_VALUE = (serializers.Field.get_value, serializers.Serializer.get_value, serializers.ListSerializer.get_value)
# Every two capital letters: a stored code that django-countries' Country(code).code gives back unchanged (it is
# either a known code, returned as it is, or an unknown one, kept as given).
_country_descriptors: dict[tuple[type, str], Any] = {}


def _stored_country_code(instance: Any, attr: str) -> Any:
    """The code a model's country field holds, read without making the Country object its descriptor returns
    (that object's construction was a quarter of a case's representation). CountryCodeField represents a Country
    by its code, and a stored "DE" or "" is the Country's code too. _MISSING when that cannot be shown: the
    attribute is no single country field, the field is deferred, or the stored value is something else."""
    key = (type(instance), attr)
    descriptor = _country_descriptors.get(key, _MISSING)
    if descriptor is _MISSING:
        descriptor = inspect.getattr_static(type(instance), attr, None)
        plain = (
            isinstance(descriptor, CountryDescriptor)
            and not descriptor.field.multiple
            and type(descriptor.field.countries).alpha2 is Countries.alpha2
        )
        descriptor = _country_descriptors[key] = descriptor if plain else None
    if descriptor is None:
        return _MISSING
    code = stored_country_code(instance, descriptor.field)
    return _MISSING if code is None else code


class CompiledRepresentation:
    """A serializer whose representation runs from steps compiled once per class.

    DRF builds a serializer's fields (and those of every nested serializer) for each serializer it makes, then
    walks them field by field; for a case with its items and parties that was most of the cost of answering.
    The steps are compiled from a template instance's fields, so they hold the same fields with the same
    settings, and _represent gives exactly what DRF's to_representation gives (tests/test_serializer_*.py
    compare the two). The representation follows the declared fields, not fields changed on one instance.
    Nested in another serializer, it represents itself the DRF way; the root's steps cover it."""

    parent: Any
    context: dict[str, Any]

    def to_representation(self, instance: Any) -> Any:
        if self.parent is not None:
            return super().to_representation(instance)  # type: ignore[misc]
        cls = type(self)
        steps = cls.__dict__.get("_compiled_steps")
        if steps is None:
            steps = _compile(cls())
            cls._compiled_steps = steps  # type: ignore[attr-defined]
        return _represent(steps, instance, _Run(self.context))


class StrictSerializer(Serializer):
    # Refuses keys it does not know, as the contract does: a misspelt key must not be dropped silently. Each
    # unknown key is reported at its own path ("items[0].colour"), together with every other error of the same
    # object. Read-only fields are known keys, so a case read from the API can be sent back as it is.

    @cached_property
    def _writable_steps(self) -> tuple[tuple[serializers.Field, str, Any, bool, str | None], ...]:
        # DRF's to_internal_value looks these up for every field of every object it validates: the writable
        # fields through a generator, each validate_<name> method by name, each value through get_value. For the
        # items of a list the child serializer is one instance, so they are looked up once per list here.
        return tuple(
            (
                field,
                field.field_name,
                getattr(self, "validate_" + field.field_name, None),
                type(field).get_value in _PLAIN_GET_VALUE,
                # DRF's set_value for a source of one attribute is ret[attribute] = value.
                field.source_attrs[0] if len(field.source_attrs) == 1 else None,
                *_shortcut(field),
            )
            for field in self._writable_fields
        )

    def to_internal_value(self, data: Any) -> Any:
        """DRF's Serializer.to_internal_value (the same values, errors and order), with the unknown keys."""
        if not isinstance(data, Mapping):
            return super().to_internal_value(data)  # DRF's refusal of what is not an object
        fields = self.fields
        unknown = [key for key in data if key not in fields]
        html_input = html.is_html_input(data)
        ret: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for field, name, validate_method, plain, key, shortcut, choices in self._writable_steps:
            # Without HTML form input, DRF's get_value of these fields is this lookup.
            primitive_value = data.get(name, empty) if plain and not html_input else field.get_value(data)
            try:
                # The commonest values of the plainest fields, taken as DRF's run_validation takes them (see
                # _shortcut); every other value, and every refusal, goes through DRF's run_validation.
                if (
                    shortcut == CHOICE
                    and type(primitive_value) is str
                    and primitive_value
                    and primitive_value in choices
                ):
                    validated_value = choices[primitive_value]
                elif shortcut == TEXT and type(primitive_value) is str and primitive_value.strip():
                    validated_value = primitive_value.strip()
                    field.run_validators(validated_value)
                elif shortcut == FLAG and type(primitive_value) is bool:
                    validated_value = primitive_value
                else:
                    validated_value = field.run_validation(primitive_value)
                if validate_method is not None:
                    validated_value = validate_method(validated_value)
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
            except DjangoValidationError as exc:
                errors[name] = get_error_detail(exc)
            except SkipField:
                pass
            else:
                if key is None:
                    self.set_value(ret, field.source_attrs, validated_value)
                else:
                    ret[key] = validated_value
        errors.update({key: [UNKNOWN_FIELD] for key in unknown})
        if errors:
            raise serializers.ValidationError(errors)
        return ret


DRF, CHOICE, TEXT, FLAG = range(4)


def _shortcut(field: serializers.Field) -> tuple[int, Any]:
    """How StrictSerializer may take a field's commonest values without the calls of DRF's run_validation, and
    the field's choices for CHOICE. For a value other than None, "" and the `empty` marker, DRF's run_validation
    of a writable field is to_internal_value then run_validators (validate_empty_values passes the value on;
    null-as-blank changes only None), so:
    CHOICE: a ChoiceField without validators; a str other than "" that is one of its choices is choices[value].
    TEXT: a CharField that trims; a str with more than blanks is value.strip(), then the field's validators.
    FLAG: a BooleanField without validators; True and False are themselves."""
    kind = type(field)
    if kind in (serializers.ChoiceField, OptionalChoiceField) and not field.validators:
        return CHOICE, field.choice_strings_to_values
    if kind in (serializers.CharField, OptionalCharField) and field.trim_whitespace:
        return TEXT, None
    if kind is serializers.BooleanField and not field.validators:
        return FLAG, None
    return DRF, None


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


class CaseSerializer(CompiledRepresentation, StrictSerializer):
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


# The serializers of this module nest without state of their own beyond DRF's (see _fresh_copy): they hold only
# their settings and, once used, the state DRF keeps in _SERIALIZER_STATE.
_COPYABLE = frozenset(cls for cls in list(globals().values()) if isinstance(cls, type) and issubclass(cls, Serializer))


class SurrogateCheck(ProhibitSurrogateCharactersValidator):
    """DRF's check that a text holds no lone surrogate (which UTF-8 cannot store), by one regex search instead of a
    Python loop over every character of every text; a refusal is still DRF's own."""

    def __call__(self, value: Any) -> None:
        if SURROGATES.search(str(value)):
            super().__call__(value)


SURROGATES = re.compile("[\ud800-\udfff]")

# Every CharField gets DRF's check in its __init__. The declared fields are copied validators and all, so
# swapping the check here swaps it for every serializer built from them.
for _serializer_class in _COPYABLE:
    for _field in _serializer_class._declared_fields.values():
        _field.validators = [
            SurrogateCheck() if type(validator) is ProhibitSurrogateCharactersValidator else validator
            for validator in _field.validators
        ]
