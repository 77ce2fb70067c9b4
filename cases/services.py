"""Writes to cases. Each function is one action: it checks, writes in one transaction, and records the
audit event. Inputs are plain dicts of model field names, so the browser forms and the API share them."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import Organisation, User
from audit.services import audit_record

from .casedoc import case_document
from .completeness import Problem, case_check_completeness
from .models import Case, Document, Item, ItemContent, ItemElement, Party, PartyOwner
from .selectors import user_may_edit_case, with_facts
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
    # One statement that both creates the year's counter and increments it, so two officers creating cases at
    # the same moment get different numbers on PostgreSQL and SQLite alike.
    table = "cases_referencecounter"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last) VALUES (%s, 1) "
            f"ON CONFLICT (year) DO UPDATE SET last = {table}.last + 1 RETURNING last",
            [year],
        )
        (number,) = cursor.fetchone()
    return f"{settings.CASE_REFERENCE_PREFIX}-{year}-{number:06d}"


def case_snapshot(case: Case) -> dict:
    """The state an audit event records before and after an edit."""
    doc = case_document(case)
    doc["licence_type"] = case.licence_type
    doc.pop("reference", None)
    doc.pop("exporter", None)
    return doc


def _check_editable(*, case: Case, actor: User) -> None:
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied("Only officers of the case's organisation may edit it.")
    if case.status != CaseStatus.DRAFT:
        raise CaseNotEditable(f"{case.reference} is {case.get_status_display().lower()}: only a draft can be edited.")


def _write_items(case: Case, items: list[dict]) -> None:
    case.items.all().delete()
    for position, data in enumerate(items):
        item = Item.objects.create(case=case, position=position, **_pick(data, ITEM_FIELDS))
        ItemElement.objects.bulk_create(
            ItemElement(item=item, **_pick(e, ELEMENT_FIELDS)) for e in data.get("elements") or []
        )
        ItemContent.objects.bulk_create(
            ItemContent(item=item, **_pick(c, CONTENT_FIELDS)) for c in data.get("content") or []
        )


def _write_parties(case: Case, parties: list[dict]) -> None:
    case.parties.all().delete()
    for position, data in enumerate(parties):
        party = Party.objects.create(case=case, position=position, **_pick(data, PARTY_FIELDS))
        PartyOwner.objects.bulk_create(
            PartyOwner(party=party, **_pick(o, OWNER_FIELDS)) for o in data.get("owners") or []
        )


def _reload(case: Case) -> Case:
    return with_facts(Case.objects.filter(pk=case.pk)).get()


@transaction.atomic
def case_create(*, organisation: Organisation, filed_by: User, data: dict[str, Any]) -> Case:
    if not (filed_by.is_officer and filed_by.organisation_id == organisation.pk):
        raise PermissionDenied("Only the organisation's compliance officers may file its cases.")
    year = timezone.now().year
    case = Case(
        reference=_next_reference(year), organisation=organisation, filed_by=filed_by, **_pick(data, HEADER_FIELDS)
    )
    case.full_clean()
    case.save()
    if "items" in data:
        _write_items(case, data["items"])
    if "parties" in data:
        _write_parties(case, data["parties"])
    case = _reload(case)
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
    before = case_snapshot(case)
    version = case.version if expected_version is None else expected_version
    header = _pick(data, HEADER_FIELDS)
    for field, value in header.items():
        setattr(case, field, value)
    case.full_clean(exclude=["reference", "organisation", "filed_by"])
    updated = Case.objects.filter(pk=case.pk, status=CaseStatus.DRAFT, version=version).update(
        version=F("version") + 1, updated_at=timezone.now(), **{f: getattr(case, f) for f in header}
    )
    if updated != 1:
        raise CaseChanged("The case was changed by someone else since you opened it. Reload it and try again.")
    if "items" in data:
        _write_items(case, data["items"])
    if "parties" in data:
        _write_parties(case, data["parties"])
    case = _reload(case)
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
    document.full_clean(exclude=["file"])
    document.file.save(document.storage_suffix, upload, save=False)
    try:
        document.save()
        Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
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
        raise PermissionDenied("The document belongs to another case.")
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
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def case_submit(*, case: Case, actor: User) -> Case:
    """Submit a complete draft. Incomplete cases raise CaseIncomplete with every problem; nothing changes."""
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied("Only officers of the case's organisation may submit it.")
    if case.status != CaseStatus.DRAFT:
        raise TransitionNotAllowed(f"{case.reference} is {case.get_status_display().lower()} and cannot be submitted.")
    case = _reload(case)
    problems = case_check_completeness(case)
    if problems:
        raise CaseIncomplete(problems)
    case = case_transition(case=case, action="submit", actor=actor, submitted_at=timezone.now())
    case_id = case.pk
    # robust: a broker that is down must not turn a committed submission into an error page; the case stays
    # "submitted" and is visible as unscreened.
    transaction.on_commit(lambda: _enqueue_screening(case_id), robust=True)
    return case


def _enqueue_screening(case_id: int) -> None:
    # After commit, so the worker sees the submitted case; imported here because screening depends on cases.
    from screening.tasks import screen_case

    screen_case.delay(case_id)


@transaction.atomic
def case_withdraw(*, case: Case, actor: User, reason: str = "") -> Case:
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied("Only officers of the case's organisation may withdraw it.")
    return case_transition(case=case, action="withdraw", actor=actor, message=reason)


@transaction.atomic
def case_copy(*, case: Case, actor: User) -> Case:
    """A new draft with the same facts: header, items with their composition, parties with their owners.
    Documents are not copied: certificates belong to one transaction."""
    if not user_may_edit_case(user=actor, case=case):
        raise PermissionDenied("Only officers of the case's organisation may copy it.")
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
