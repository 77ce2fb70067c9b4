"""The case serializers validate as DRF's own Serializer.to_internal_value does, and build the fields DRF builds.

StrictSerializer runs DRF's field loop over steps looked up once per serializer instance. Each level is compared
with DRF's own loop on the same bound serializer (whose nested fields are the same): equal at every level, equal
as a whole. Inputs are generated from valid payloads, then broken in many ways, so the errors are compared too.
"""

import copy
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from cases import serializers as case_serializers
from cases.serializers import (
    UNKNOWN_FIELD,
    CaseSerializer,
    ItemSerializer,
    OwnerSerializer,
    PartySerializer,
    StrictSerializer,
    SurrogateCheck,
)

ITEM = {
    "kind": "goods",
    "description": "Sintered NdFeB magnets",
    "control_code": "1C905.a",
    "hs_code": "8505111000",
    "produced_in": "CN",
    "origin_country": None,
    "quantity": {"amount": "100.5", "unit": "kg"},
    "value": {"amount": "8400.25", "currency": "USD"},
    "elements": [{"element": "Nd", "form": "magnet", "mass_fraction": "0.29"}],
    "content": [{"element": "Tb", "form": "metal", "origin_country": "CN", "value_share": "0.004"}],
    "deep_processed": False,
    "technology_area": "",
    "public_domain": False,
}
PARTY = {
    "role": "end_user",
    "name": "Stuttgart Antriebstechnik GmbH",
    "address": "Industriestr. 5",
    "country": "DE",
    "category": "commercial",
    "owners": [{"name": "Antrieb Holding AG", "country": "DE", "share": "0.6"}],
}
CASE = {
    "version": 3,
    "licence_type": "single",
    "transaction": "export",
    "destination_country": "DE",
    "decisive_date": "2025-06-01",
    "items": [ITEM, {**ITEM, "quantity": None, "value": None, "content": []}],
    "parties": [PARTY],
    "end_use": {"categories": ["civil"], "description": "Traction motors", "authority_notified": True},
    # Read-only keys a client may send back as it read them.
    "reference": "LIC-2025-000001",
    "status": "draft",
}

# Values that some field somewhere refuses, and keys nobody knows.
BAD_VALUES = st.sampled_from(
    [None, "", " ", "x", "DEU", "de", "ZZ", 1, 0.5, -1, True, [], {}, [1], {"a": 1}, "-1", "1e3", "1,5", "2", "\ud800"]
)
KEYS = st.sampled_from(["colour", "amount", "unit", "name", "country", "kind", "items", "owners", "end_use"])


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*prefix, index))


@st.composite
def broken(draw, valid):
    """A valid body with a few of its values replaced, keys dropped or unknown keys added."""
    body = copy.deepcopy(valid)
    for _ in range(draw(st.integers(0, 4))):
        paths = list(_paths(body))
        path = draw(st.sampled_from(paths))
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if not path:
            if action == "replace":
                body = draw(BAD_VALUES)
            continue
        if action == "replace":
            parent[path[-1]] = draw(BAD_VALUES)
        elif action == "drop" and isinstance(parent, Mapping):
            del parent[path[-1]]
        elif action == "add" and isinstance(parent[path[-1]], Mapping):
            parent[path[-1]][draw(KEYS)] = draw(BAD_VALUES)
    return body


def drf_way(serializer: StrictSerializer, data):
    """DRF's Serializer.to_internal_value with the unknown keys added to its errors: what StrictSerializer did
    before its steps, kept here as the specification."""
    unknown = [key for key in data if key not in serializer.fields] if isinstance(data, Mapping) else []
    try:
        value = serializers.Serializer.to_internal_value(serializer, data)
    except serializers.ValidationError as exc:
        if not unknown or not isinstance(exc.detail, Mapping):
            raise
        detail = dict(exc.detail)
        detail.update({key: [UNKNOWN_FIELD] for key in unknown})
        raise serializers.ValidationError(detail) from None
    if unknown:
        raise serializers.ValidationError({key: [UNKNOWN_FIELD] for key in unknown})
    return value


def _outcome(validate, serializer, data):
    # As repr: dict order, types (Decimal, date, ErrorDetail) and error codes all count.
    try:
        return "valid", repr(validate(serializer, data))
    except serializers.ValidationError as exc:
        return "invalid", repr(exc.detail)


def assert_validates_as_drf(serializer_class, data, **kwargs):
    compiled = _outcome(StrictSerializer.to_internal_value, serializer_class(data=data, **kwargs), data)
    assert compiled == _outcome(drf_way, serializer_class(data=data, **kwargs), data)
    return compiled


@settings(max_examples=300, derandomize=True, deadline=None)
@given(body=broken(CASE), partial=st.booleans())
def test_case_bodies_validate_as_drf_validates_them(body, partial):
    assert_validates_as_drf(CaseSerializer, body, partial=partial)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    serializer_class=st.sampled_from([ItemSerializer, PartySerializer, OwnerSerializer]),
    data=st.data(),
)
def test_nested_objects_validate_as_drf_validates_them(serializer_class, data):
    valid = {ItemSerializer: ITEM, PartySerializer: PARTY, OwnerSerializer: PARTY["owners"][0]}[serializer_class]
    assert_validates_as_drf(serializer_class, data.draw(broken(valid)))


def test_unknown_keys_come_with_the_other_errors_of_their_object():
    body = {**CASE, "colour": "red", "licence_type": "x", "items": [{**ITEM, "size": 1}]}
    assert assert_validates_as_drf(CaseSerializer, body)[0] == "invalid"
    serializer = CaseSerializer(data=body)
    assert not serializer.is_valid()
    assert list(serializer.errors) == ["licence_type", "items", "colour"]
    assert serializer.errors["items"] == {0: {"size": [UNKNOWN_FIELD]}}


def test_a_valid_case_gives_the_services_their_flat_fields():
    serializer = CaseSerializer(data=CASE)
    assert serializer.is_valid(), serializer.errors
    data = serializer.validated_data
    assert data["items"][0]["value_amount"] == data["items"][0]["value_amount"].__class__("8400.25")
    assert data["items"][1]["quantity_amount"] is None
    assert data["end_use_categories"] == ["civil"]
    assert "reference" not in data


EQUIVALENT = {SurrogateCheck: ProhibitSurrogateCharactersValidator}


def _state(field) -> dict:
    """What a built field is, for comparing two ways of building it: its settings, its binding, and the fields it
    holds, but not object identities (parents, shared validators)."""
    state = {"class": type(field)}
    field.validators  # noqa: B018 -- evaluated lazily, on first use: compare them evaluated
    for key, value in vars(field).items():
        if key in ("parent", "child", "fields", "_writable_steps", "_creation_counter"):
            continue
        if key in ("validators", "_validators"):
            value = [
                (
                    # The same check as DRF's, by regex (see test_a_lone_surrogate_is_refused_with_drf_s_message).
                    EQUIVALENT.get(type(validator), type(validator)),
                    {k: str(v) for k, v in vars(validator).items() if k != "_constructor_args"},
                )
                for validator in value
            ]
        elif key in ("_args", "_kwargs"):
            value = repr(value)  # the arguments it was made with, nested serializers among them
        state[key] = value
    state["parent"] = field.parent.field_name if field.parent is not None else None
    if hasattr(field, "child"):
        state["child"] = _state(field.child)
        assert field.child.parent is field
    if isinstance(field, serializers.Serializer):
        state["fields"] = {name: _state(inner) for name, inner in field.fields.items()}
        for inner in field.fields.values():
            assert inner.parent is field
    return state


def _serializer_classes():
    return [
        value
        for value in vars(case_serializers).values()
        if isinstance(value, type)
        and issubclass(value, serializers.Serializer)
        and value.__module__ == "cases.serializers"
    ]


class DeepCopied(serializers.Serializer):
    """Builds its fields as DRF does, by deep copies."""

    def get_fields(self):
        return copy.deepcopy(self._declared_fields)


def test_fields_are_built_as_drf_builds_them():
    for serializer_class in _serializer_classes():
        if not serializer_class._declared_fields:
            continue
        built = serializer_class()
        reference = type("Reference", (DeepCopied, serializer_class), {})()
        expected = _state(reference)
        actual = _state(built)
        for state in (expected, actual):
            state.pop("class")
        assert actual["fields"] == expected["fields"], serializer_class.__name__


def test_copies_share_nothing_a_used_declared_serializer_holds():
    declared = CaseSerializer._declared_fields["items"]
    repr(declared)  # a repr builds the fields of the declared child
    assert "fields" in vars(declared.child)
    built = CaseSerializer(data=CASE).fields["items"]
    assert built.child.fields["kind"] is not declared.child.fields["kind"]
    assert built.child.fields["kind"].parent is built.child
    assert built.child.parent is built
    assert declared.parent is None and declared.child.parent is declared


def test_building_fields_runs_no_field_init():
    # Deep copies re-ran every field's __init__ (and its validators' construction) for every request.
    copied = CaseSerializer().fields
    for name in ("items", "parties", "end_use", "licence_type"):
        assert copied[name].__dict__["_kwargs"] is CaseSerializer._declared_fields[name]._kwargs


def test_fields_are_copies_of_prototypes_bound_once_per_class():
    serializer = CaseSerializer()
    first, second = serializer.fields, CaseSerializer().fields
    prototypes = dict(CaseSerializer.__dict__["_field_prototypes"])
    for name, field in first.items():
        assert field is not second[name] and field is not prototypes[name]
        assert field.parent is serializer
        assert (field.field_name, field.label, field.source_attrs) == (
            prototypes[name].field_name,
            prototypes[name].label,
            prototypes[name].source_attrs,
        )
    assert first["items"].child is not second["items"].child
    assert first["items"].child.parent is first["items"]


def test_a_serializer_that_builds_its_own_fields_gets_them():
    class WithExtra(CaseSerializer):
        def get_fields(self):
            fields = super().get_fields()
            fields["extra"] = serializers.CharField(required=False)
            return fields

    serializer = WithExtra()
    assert list(serializer.fields)[-1] == "extra"
    assert serializer.fields["extra"].parent is serializer
    assert serializer.fields["items"].parent is serializer


def test_a_lone_surrogate_is_refused_with_drf_s_message():
    # The check is a regex search now, not DRF's loop over every character; the refusal is DRF's own.
    field = ItemSerializer._declared_fields["description"]
    assert SurrogateCheck in {type(validator) for validator in field.validators}
    assert ProhibitSurrogateCharactersValidator not in {type(validator) for validator in field.validators}
    body = {
        **CASE,
        "items": [{**ITEM, "description": "Magnets \udfff \ud800"}],
        "parties": [{**PARTY, "name": "A\ud83d"}],
    }
    serializer = CaseSerializer(data=body)
    assert not serializer.is_valid()
    with pytest.raises(serializers.ValidationError) as drf:
        ProhibitSurrogateCharactersValidator()("Magnets \udfff \ud800")
    assert serializer.errors["items"][0]["description"] == drf.value.detail
    assert serializer.errors["items"][0]["description"][0].code == "surrogate_characters_not_allowed"
    assert serializer.errors["parties"][0]["name"] == ["Surrogate characters are not allowed: U+D83D."]


@pytest.mark.parametrize(
    "key", ["kind", "description", "control_code", "technology_area", "deep_processed", "public_domain"]
)
@pytest.mark.parametrize(
    "value",
    ["goods", " goods ", "GOODS", "", " ", "  Magnets\t", "a" * 2001, "x\x00y", 1, 1.5, True, False, "true", "0", None],
)
def test_plain_fields_take_every_value_as_drf_does(key, value):
    # Choice, text and flag fields take their commonest values without DRF's run_validation (see _shortcut).
    assert_validates_as_drf(ItemSerializer, {**ITEM, key: value})
    assert_validates_as_drf(PartySerializer, {**PARTY, "role": value, "name": value})
