from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.completeness import case_check_completeness
from cases.models import Case, Item
from cases.selectors import case_get_for_user, with_facts
from cases.services import (
    CaseIncomplete,
    CaseNotEditable,
    case_add_document,
    case_copy,
    case_create,
    case_save_draft,
    case_submit,
    case_withdraw,
)
from cases.uploads import UploadRejected
from cases.workflow import CaseChanged, TransitionNotAllowed
from screening.contract import validate

from .factories import PDF_BYTES, case_data, item_data, make_case, party_data

pytestmark = pytest.mark.django_db


def test_reference_is_sequential_per_year(officer):
    a = make_case(officer, with_certificate=False)
    b = make_case(officer, with_certificate=False)
    year = a.created_at.year
    assert a.reference == f"LIC-{year}-000001"
    assert b.reference == f"LIC-{year}-000002"


def test_create_writes_items_parties_and_audit(officer):
    case = make_case(officer, with_certificate=False)
    assert case.status == "draft"
    item = case.items.get()
    assert item.value_amount == Decimal("42000.00")
    assert item.elements.get().mass_fraction == Decimal("0.025")
    assert case.parties.get().name == "Stuttgart Antriebstechnik GmbH"
    event = AuditEvent.objects.get(verb="case.created")
    assert event.case == case and event.actor == officer
    assert event.after["items"][0]["value"] == {"amount": "42000", "currency": "USD"}


def test_officer_of_other_org_cannot_create_for_it(officer, other_officer):
    with pytest.raises(PermissionDenied):
        case_create(organisation=officer.organisation, filed_by=other_officer, data=case_data())


def test_reviewer_cannot_create_cases(org, reviewer):
    with pytest.raises(PermissionDenied):
        case_create(organisation=org, filed_by=reviewer, data=case_data())


def test_save_draft_replaces_items_and_records_before_after(officer):
    case = make_case(officer, with_certificate=False)
    case = case_save_draft(
        case=case,
        actor=officer,
        data={"items": [item_data(description="Terbium metal"), item_data(description="Dy oxide")]},
    )
    assert [i.description for i in case.items.all()] == ["Terbium metal", "Dy oxide"]
    event = AuditEvent.objects.filter(verb="case.edited").get()
    assert len(event.before["items"]) == 1 and len(event.after["items"]) == 2


def test_an_edit_of_a_half_filled_line_is_recorded_too(officer):
    # A draft may hold a unit without its quantity (or an amount without its currency), which a case document
    # leaves out; the audit snapshot keeps them, so changing one is an edit on the record.
    case = make_case(officer, with_certificate=False, items=[item_data(quantity_amount=None, value_currency="")])
    case = case_save_draft(
        case=case,
        actor=officer,
        data={"items": [item_data(quantity_amount=None, quantity_unit="g", value_currency="")]},
    )
    event = AuditEvent.objects.get(verb="case.edited")
    assert event.before["items"][0]["quantity"] == {"amount": None, "unit": "kg"}
    assert event.after["items"][0]["quantity"] == {"amount": None, "unit": "g"}
    assert (
        event.before["items"][0]["value"] == event.after["items"][0]["value"] == {"amount": "42000", "currency": None}
    )


def test_save_draft_with_stale_version_changes_nothing(officer):
    case = make_case(officer, with_certificate=False)
    stale = case.version
    case_save_draft(case=case, actor=officer, data={"end_use_description": "first"})
    fresh = Case.objects.get(pk=case.pk)
    with pytest.raises(CaseChanged):
        case_save_draft(case=fresh, actor=officer, data={"end_use_description": "second"}, expected_version=stale)
    assert Case.objects.get(pk=case.pk).end_use_description == "first"


def test_invalid_header_is_refused_and_nothing_changes(officer):
    case = make_case(officer, with_certificate=False)
    with pytest.raises(ValidationError):
        case_save_draft(case=case, actor=officer, data={"destination_country": "XX"})
    assert Case.objects.get(pk=case.pk).destination_country == "DE"


def test_completeness_lists_every_problem(officer):
    case = make_case(
        officer,
        with_certificate=False,
        items=[
            item_data(value_amount=None, value_currency=""),
            item_data(
                content=[
                    {"origin_country": "CN", "value_share": Decimal("0.7"), "element": "Sm", "form": "metal"},
                    {"origin_country": "CN", "value_share": Decimal("0.4"), "element": "Dy", "form": "metal"},
                ]
            ),
        ],
        parties=[party_data(role="consignee")],
    )
    problems = {(p.path, p.code) for p in case_check_completeness(case)}
    assert problems == {
        ("items[0].value", "missing"),
        ("items[1].content", "shares_exceed_whole"),
        ("parties", "no_end_user"),
        ("documents", "no_end_user_certificate"),
    }


def test_complete_case_has_no_problems(officer):
    case = make_case(officer)
    assert case_check_completeness(with_facts(Case.objects.filter(pk=case.pk)).get()) == []


def test_submit_incomplete_raises_and_stays_draft(officer):
    case = make_case(officer, with_certificate=False)
    with pytest.raises(CaseIncomplete) as info:
        case_submit(case=case, actor=officer)
    assert [p.code for p in info.value.problems] == ["no_end_user_certificate"]
    assert Case.objects.get(pk=case.pk).status == "draft"
    assert not AuditEvent.objects.filter(verb="case.submit").exists()


def test_submit_then_no_more_edits(officer):
    case = make_case(officer)
    case = case_submit(case=case, actor=officer)
    assert case.status == "submitted" and case.submitted_at is not None
    assert AuditEvent.objects.filter(verb="case.submit", case=case).exists()
    with pytest.raises(CaseNotEditable):
        case_save_draft(case=case, actor=officer, data={"end_use_description": "changed"})
    with pytest.raises(CaseNotEditable):
        case_add_document(
            case=case,
            actor=officer,
            doc_type="contract",
            upload=SimpleUploadedFile("c.pdf", PDF_BYTES),
        )
    with pytest.raises(TransitionNotAllowed):
        case_submit(case=case, actor=officer)


def test_other_org_officer_cannot_submit_or_copy(officer, other_officer):
    case = make_case(officer)
    with pytest.raises(PermissionDenied):
        case_submit(case=case, actor=other_officer)
    with pytest.raises(PermissionDenied):
        case_copy(case=case, actor=other_officer)


def test_withdraw_from_draft_and_submitted(officer):
    case = case_submit(case=make_case(officer), actor=officer)
    case = case_withdraw(case=case, actor=officer, reason="order cancelled")
    assert case.status == "withdrawn"
    with pytest.raises(TransitionNotAllowed):
        case_withdraw(case=case, actor=officer)


def test_copy_makes_new_draft_with_same_facts_but_no_documents(officer):
    original = case_submit(case=make_case(officer), actor=officer)
    copy = case_copy(case=original, actor=officer)
    assert copy.status == "draft" and copy.copied_from == original
    assert copy.reference != original.reference
    a = case_document(case_get_for_user(user=officer, reference=original.reference))
    b = case_document(case_get_for_user(user=officer, reference=copy.reference))
    a.pop("reference"), b.pop("reference")
    assert a == b
    assert copy.documents.count() == 0


def test_case_document_validates_against_schema(officer):
    case = make_case(
        officer,
        items=[
            item_data(),
            item_data(
                kind="technology",
                description="NdFeB sintering process parameters",
                control_code="1E902.a",
                hs_code="",
                technology_area="magnet_manufacturing",
                quantity_amount=None,
                quantity_unit="",
                elements=[],
            ),
            item_data(
                produced_in="KR",
                origin_country="KR",
                technology_origin="CN",
                content=[
                    {
                        "origin_country": "CN",
                        "value_share": Decimal("0.005"),
                        "element": "Sm",
                        "form": "metal",
                        "control_code": "1C902.a",
                    }
                ],
            ),
        ],
        parties=[
            party_data(owners=[{"name": "Listed Parent Inc.", "country": "US", "share": Decimal("0.5")}]),
            party_data(role="consignee", name="Hamburg Freight GmbH", address=""),
        ],
    )
    doc = case_document(case_get_for_user(user=officer, reference=case.reference))
    assert validate("case", doc) == {}
    assert doc["items"][2]["content"][0]["value_share"] == 0.005
    assert doc["parties"][0]["owners"][0]["share"] == 0.5
    assert doc["items"][0]["value"] == {"amount": "42000", "currency": "USD"}
    assert doc["exporter"] == {"name": officer.organisation.name, "country": "CN"}


def test_upload_rejects_disguised_empty_and_oversized(officer, settings):
    case = make_case(officer, with_certificate=False)
    with pytest.raises(UploadRejected, match="name ends in"):
        case_add_document(
            case=case, actor=officer, doc_type="contract", upload=SimpleUploadedFile("contract.docx", PDF_BYTES)
        )
    with pytest.raises(UploadRejected, match="empty"):
        case_add_document(case=case, actor=officer, doc_type="contract", upload=SimpleUploadedFile("e.pdf", b""))
    with pytest.raises(UploadRejected, match="Only PDF"):
        case_add_document(
            case=case,
            actor=officer,
            doc_type="contract",
            upload=SimpleUploadedFile("x.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
        )
    settings.DOCUMENT_MAX_BYTES = 10
    with pytest.raises(UploadRejected, match="larger than"):
        case_add_document(case=case, actor=officer, doc_type="contract", upload=SimpleUploadedFile("c.pdf", PDF_BYTES))
    assert case.documents.count() == 0


def test_upload_strips_path_from_name(officer):
    case = make_case(officer, with_certificate=False)
    doc = case_add_document(
        case=case, actor=officer, doc_type="contract", upload=SimpleUploadedFile("../../etc/contract.pdf", PDF_BYTES)
    )
    assert doc.original_name == "contract.pdf"
    assert ".." not in doc.file.name and doc.file.name.startswith(f"cases/{case.pk}/")


def test_item_lines_delete_with_case_only_through_services(officer):
    case = make_case(officer, with_certificate=False)
    assert Item.objects.filter(case=case).count() == 1
