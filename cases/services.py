"""Writes to cases. Each function is one action: it checks, writes in one transaction, and records the
audit event. Inputs are plain dicts of model field names, so the browser forms and the API share them."""

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import DecimalField, F, Model
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from audit.services import audit_record
from config.compiled_writes import CompiledUpdate, insert_rows
from config.sequences import next_in_year

from .casedoc import case_document, decimal_string
from .completeness import Problem, case_check_completeness
from .models import Case, Document, Item, ItemContent, ItemElement, Party, PartyOwner, ReferenceCounter
from .selectors import (
    facts_held,
    load_facts,
    offering_facts,
    remember_related,
    user_may_edit_case,
    with_facts,
)
from .uploads import check_upload
from .vocab import CaseStatus
from .workflow import CaseChanged, TransitionNotAllowed, case_transition

HEADER_FIELDS = (
    "licence_type",
    "transaction",
    "destination_country",
    "decisive_date",
    "end_use_categories",
    "end_use_description",
    "authority_notified",
)
ITEM_FIELDS = (
    "kind",
    "description",
    "control_code",
    "hs_code",
    "produced_in",
    "origin_country",
    "technology_origin",
    "quantity_amount",
    "quantity_unit",
    "value_amount",
    "value_currency",
    "deep_processed",
    "technology_area",
    "public_domain",
)
ELEMENT_FIELDS = ("element", "form", "mass_fraction")
CONTENT_FIELDS = ("control_code", "element", "form", "origin_country", "value_share")
PARTY_FIELDS = ("role", "name", "address", "country", "category")
OWNER_FIELDS = ("name", "country", "share")


class CaseNotEditable(Exception):
    """Only a draft can be edited, and only by its organisation's officers."""


class CaseIncomplete(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def _pick(data: dict, fields: Iterable[str]) -> dict:
    return {f: data[f] for f in fields if f in data}


def _next_reference(year: int) -> str:
    return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{next_in_year(ReferenceCounter, year):06d}"


def case_snapshot(case: Case) -> dict:
    """The state an audit event records before and after an edit: the case document, with what a draft may hold
    that a document leaves out (an amount without its unit or currency, or the other way round), so that no edit
    of a draft goes unrecorded."""
    doc = case_document(case)
    doc["licence_type"] = case.licence_type
    doc.pop("reference", None)
    doc.pop("exporter", None)
    for item, entry in zip(case.items.all(), doc["items"], strict=True):
        for key, amount, unit, unit_key in (
            ("quantity", item.quantity_amount, item.quantity_unit, "unit"),
            ("value", item.value_amount, item.value_currency, "currency"),
        ):
            if key not in entry and (amount is not None or unit):
                entry[key] = {"amount": None if amount is None else decimal_string(amount), unit_key: unit or None}
    return doc


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in Case._meta.get_field("destination_country").choices)


def _clean_header(case: Case) -> None:
    """`case.full_clean()` for the fields a service sets (the reference is issued by the counter, organisation
    and filer are rows in hand). The destination is checked against the country codes here, with Django's own
    message: Django checks a choice by walking the whole country list, sorted by translated name, which cost
    more than cleaning all the other fields together."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        case.full_clean(exclude=["reference", "organisation", "filed_by", "destination_country"])
    except ValidationError as error:
        errors = error.error_dict
    field = Case._meta.get_field("destination_country")
    value = getattr(case, field.attname)
    code = getattr(value, "code", value) or ""
    if code and code not in _country_codes():
        errors["destination_country"] = [
            ValidationError(field.error_messages["invalid_choice"], code="invalid_choice", params={"value": code})
        ]
    if errors:
        raise ValidationError(errors)


# Every change to a case's documents moves its version on (optimistic locking), compiled once; the placeholders
# are a key and a time no real call uses.
_bump_version = CompiledUpdate(
    lambda pk, now: (Case.objects.filter(pk=pk), {"version": F("version") + 1, "updated_at": now}),
    pk=-1,
    now=datetime(1, 1, 1, tzinfo=UTC),
)


def _check_editable(*, case: Case, actor: User) -> None:
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may edit it."))
    if case.status != CaseStatus.DRAFT:
        raise CaseNotEditable(
            _("%(reference)s is %(status)s: only a draft can be edited.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )


@cache
def _decimal_columns(model: type[Model]) -> dict[str, tuple[DecimalField, Decimal]]:
    """The model's decimal fields by name, with the places each keeps: looked up once, not for every value."""
    return {
        f.name: (f, Decimal(1).scaleb(-f.decimal_places))
        for f in model._meta.concrete_fields
        if isinstance(f, DecimalField)
    }


def _as_stored(model: type[Model], data: dict) -> dict:
    """`data` with decimals as the database keeps them (a Decimal rounded to the column's places), so that the
    rows held in memory after a write say what a read would: the answer and the audit trail are built from them."""
    out = dict(data)
    for name, (field, places) in _decimal_columns(model).items():
        value = data.get(name)
        if value is not None:
            out[name] = field.to_python(value).quantize(places, rounding=ROUND_HALF_UP)
    return out


def _write_items(case: Case, items: list[dict], *, new_case: bool = False) -> None:
    """Replace the case's item lines (a new case has none to delete), and leave the lines written in the case's
    `items` as if prefetched with their elements and content."""
    if not new_case:
        case.items.all().delete()
    lines = [
        Item(case=case, position=position, **_as_stored(Item, _pick(data, ITEM_FIELDS)))
        for position, data in enumerate(items)
    ]
    insert_rows(lines)
    elements = [
        [
            ItemElement(item=line, **_as_stored(ItemElement, _pick(e, ELEMENT_FIELDS)))
            for e in data.get("elements") or []
        ]
        for line, data in zip(lines, items, strict=True)
    ]
    content = [
        [ItemContent(item=line, **_as_stored(ItemContent, _pick(c, CONTENT_FIELDS))) for c in data.get("content") or []]
        for line, data in zip(lines, items, strict=True)
    ]
    insert_rows([e for line in elements for e in line])
    insert_rows([c for line in content for c in line])
    for line, line_elements, line_content in zip(lines, elements, content, strict=True):
        remember_related(line, "elements", line_elements)
        remember_related(line, "content", line_content)
    remember_related(case, "items", lines)


def _write_parties(case: Case, parties: list[dict], *, new_case: bool = False) -> None:
    """Replace the case's parties, as `_write_items` does its lines."""
    if not new_case:
        case.parties.all().delete()
    written = [
        Party(case=case, position=position, **_pick(data, PARTY_FIELDS)) for position, data in enumerate(parties)
    ]
    insert_rows(written)
    owners = [
        [PartyOwner(party=party, **_as_stored(PartyOwner, _pick(o, OWNER_FIELDS))) for o in data.get("owners") or []]
        for party, data in zip(written, parties, strict=True)
    ]
    insert_rows([o for party in owners for o in party])
    for party, party_owners in zip(written, owners, strict=True):
        remember_related(party, "owners", party_owners)
    remember_related(case, "parties", written)


def _reload(case: Case) -> Case:
    return with_facts(Case.objects.filter(pk=case.pk)).get()


@transaction.atomic
def case_create(*, organisation: Organisation, filed_by: User, data: dict[str, Any]) -> Case:
    if not (filed_by.is_officer and filed_by.organisation_id == organisation.pk):
        raise PermissionDenied(_("Only the organisation's compliance officers may file its cases."))
    year = timezone.now().year
    case = Case(
        reference=_next_reference(year), organisation=organisation, filed_by=filed_by, **_pick(data, HEADER_FIELDS)
    )
    _clean_header(case)
    insert_rows([case])
    # The case is answered and audited from what was just written, not read back: a new case has no documents,
    # and its lines and parties are the rows inserted here.
    remember_related(case, "documents", [])
    _write_items(case, data.get("items", []), new_case=True)
    _write_parties(case, data.get("parties", []), new_case=True)
    audit_record(
        actor=filed_by,
        verb="case.created",
        target=case,
        case=case,
        organisation=organisation,
        after=case_snapshot(case),
    )
    return case


@transaction.atomic
def case_save_draft(*, case: Case, actor: User, data: dict[str, Any], expected_version: int | None = None) -> Case:
    """Change a draft's header fields, and replace its items and parties where `data` carries them.

    `expected_version` is the version the editor read; if the case moved on since, nothing is written."""
    _check_editable(case=case, actor=actor)
    load_facts(case)
    before = case_snapshot(case)
    version = case.version if expected_version is None else expected_version
    header = _pick(data, HEADER_FIELDS)
    for field, value in header.items():
        setattr(case, field, value)
    _clean_header(case)
    now = timezone.now()
    updated = Case.objects.filter(pk=case.pk, status=CaseStatus.DRAFT, version=version).update(
        version=F("version") + 1, updated_at=now, **{f: getattr(case, f) for f in header}
    )
    if updated != 1:
        raise CaseChanged(_("The case was changed by someone else since you opened it. Reload it and try again."))
    # The row now holds the header set above, at version + 1; the facts not sent are the ones loaded above.
    case.version, case.updated_at = version + 1, now
    if "items" in data:
        _write_items(case, data["items"])
    if "parties" in data:
        _write_parties(case, data["parties"])
    after = case_snapshot(case)
    if after != before:
        audit_record(
            actor=actor,
            verb="case.edited",
            target=case,
            case=case,
            organisation=case.organisation,
            before=before,
            after=after,
        )
    return case


@transaction.atomic
def case_add_document(*, case: Case, actor: User, doc_type: str, upload: UploadedFile) -> Document:
    _check_editable(case=case, actor=actor)
    checked = check_upload(upload)  # raises UploadRejected with a message for the user
    document = Document(
        case=case,
        doc_type=doc_type,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    # The case and the uploader are rows in hand; checking that they exist would only cost queries.
    document.full_clean(exclude=["file", "case", "uploaded_by"])
    document.file.save(document.storage_suffix, upload, save=False)
    try:
        insert_rows([document])
        _bump_version.run(pk=case.pk, now=timezone.now())
        audit_record(
            actor=actor,
            verb="case.document_added",
            target=document,
            case=case,
            organisation=case.organisation,
            after={"doc_type": doc_type, "name": checked.original_name, "size": checked.size, "sha256": checked.sha256},
        )
    except Exception:
        # The row was not written: leave no stored file behind it.
        document.file.storage.delete(document.file.name)
        raise
    return document


@transaction.atomic
def case_remove_document(*, case: Case, actor: User, document: Document) -> None:
    _check_editable(case=case, actor=actor)
    if document.case_id != case.pk:
        raise PermissionDenied(_("The document belongs to another case."))
    audit_record(
        actor=actor,
        verb="case.document_removed",
        target=document,
        case=case,
        organisation=case.organisation,
        before={"doc_type": document.doc_type, "name": document.original_name, "sha256": document.sha256},
    )
    name, storage = document.file.name, document.file.storage
    document.delete()
    _bump_version.run(pk=case.pk, now=timezone.now())
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def case_submit(*, case: Case, actor: User) -> Case:
    """Submit a complete draft. Incomplete cases raise CaseIncomplete with every problem; nothing changes."""
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may submit it."))
    if case.status != CaseStatus.DRAFT:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s and cannot be submitted.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    # The header was read by the caller and the transition below checks its version, so only the facts are
    # loaded here (those the caller holds already are kept).
    load_facts(case)
    problems = case_check_completeness(case)
    if problems:
        raise CaseIncomplete(problems)
    facts = facts_held(case)
    # The clock the transition starts reads the rule set in force; a screening run in-process takes the same.
    from screening.selectors import rule_set_in_force_read_once

    in_force: dict = {}
    with rule_set_in_force_read_once(in_force):
        # This function's transaction holds the transition and lets its failures out: no savepoint needed.
        # The transition sets the new header on this very case, which keeps the facts it holds.
        case = case_transition(case=case, action="submit", actor=actor, savepoint=False, submitted_at=timezone.now())
    # robust: a broker that is down must not turn a committed submission into an error page; the case stays
    # "submitted" and is visible as unscreened.
    version = case.version
    transaction.on_commit(lambda: _enqueue_screening(case, version, facts, in_force), robust=True)
    return case


def _enqueue_screening(case: Case, version: int, facts: dict[str, list], in_force: dict) -> None:
    # After commit, so the worker sees the submitted case; imported here because screening depends on cases.
    from screening.selectors import rule_set_in_force_read_once
    from screening.tasks import screen_case

    taken: list[Case] = []
    with (
        offering_facts(case_id=case.pk, version=version, facts=facts, taken=taken),
        rule_set_in_force_read_once(in_force),
    ):
        screen_case.delay(case.pk)
    if taken:
        # Screened in-process and committed (a failure does not get here): the case as the screening left it,
        # its row locked from its read to its commit, is the header stored now. The last to take the facts is
        # the attempt that committed. A worker's screening is not seen here.
        screened = taken[-1]
        case.status, case.version, case.updated_at = screened.status, screened.version, screened.updated_at


@transaction.atomic
def case_withdraw(*, case: Case, actor: User, reason: str = "") -> Case:
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may withdraw it."))
    return case_transition(case=case, action="withdraw", actor=actor, message=reason)


@transaction.atomic
def case_copy(*, case: Case, actor: User) -> Case:
    """A new draft with the same facts: header, items with their composition, parties with their owners.
    Documents are not copied: certificates belong to one transaction."""
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied(_("Only officers of the case's organisation may copy it."))
    case = _reload(case)
    data: dict[str, Any] = {f: getattr(case, f) for f in HEADER_FIELDS}
    data["items"] = [
        {
            **{f: getattr(item, f) for f in ITEM_FIELDS},
            "elements": [{f: getattr(e, f) for f in ELEMENT_FIELDS} for e in item.elements.all()],
            "content": [{f: getattr(c, f) for f in CONTENT_FIELDS} for c in item.content.all()],
        }
        for item in case.items.all()
    ]
    data["parties"] = [
        {
            **{f: getattr(p, f) for f in PARTY_FIELDS},
            "owners": [{f: getattr(o, f) for f in OWNER_FIELDS} for o in p.owners.all()],
        }
        for p in case.parties.all()
    ]
    copy = case_create(organisation=case.organisation, filed_by=actor, data=data)
    Case.objects.filter(pk=copy.pk).update(copied_from=case)
    copy.copied_from = case
    audit_record(
        actor=actor,
        verb="case.copied",
        target=copy,
        case=copy,
        organisation=copy.organisation,
        message=f"Copied from {case.reference}.",
        after={"copied_from": case.reference},
    )
    return copy
