"""Builders for permit tests: a real case, submitted and screened under the shipped rule pack, then a permit."""

import io
from datetime import date
from decimal import Decimal

from django.core.management import call_command

from cases.models import Case
from cases.services import case_submit
from cases.vocab import CaseStatus
from permits.services import permit_issue
from review.services import case_claim, case_countersign, case_recommend
from screening.models import LicenceType

from .factories import item_data, make_case


def load_rules() -> None:
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


def set_tolerance(tolerance: str) -> None:
    # Published rule-set rows refuse `save()`; a test stands in for a rule admin's new version by updating the
    # seeded rows in place, which is what a version with another tolerance would hold.
    LicenceType.objects.filter(code="single").update(shipment_tolerance=Decimal(tolerance))


def screened_case(officer, capture, **overrides):
    overrides.setdefault(
        "items",
        [
            item_data(quantity_amount=Decimal("100"), value_amount=Decimal("10000.00")),
            item_data(
                description="NdFeB alloy powder",
                control_code="1C905.b",
                quantity_amount=Decimal("50.5"),
                value_amount=Decimal("2500.50"),
            ),
        ],
    )
    case = make_case(officer, decisive_date=date(2025, 6, 1), **overrides)
    with capture(execute=True):
        case_submit(case=case, actor=officer)
    case.refresh_from_db()
    return case


def approve(case, reviewer, *, conditions="", countersigner=None):
    """Approve a screened case through the review, as a reviewer does: the approval issues the permit. Give a
    countersigner for a case whose recommendation needs four eyes."""
    case = case_claim(case=case, actor=reviewer)
    decision = "approve_with_conditions" if conditions else "approve"
    row = case_recommend(
        case=case, actor=reviewer, recommendation=decision, reasons="Meets the rules.", conditions=conditions
    )
    if countersigner is not None:
        row = case_countersign(case=row.case, actor=countersigner, agree=True, note="Agreed.")
    row.case.refresh_from_db()
    return row.case


def approved_without_permit(case):
    """A case approved before approval issued permits, whose permit is issued by hand with `permit_issue`.

    The case is put in the approved state directly: approving it through the review would issue its permit
    already, and these tests check what permit_issue does with the validity and conditions it is given."""
    Case.objects.filter(pk=case.pk, status=CaseStatus.SCREENED).update(status=CaseStatus.APPROVED)
    case.refresh_from_db()
    assert case.status == CaseStatus.APPROVED
    return case


def issue(case, reviewer, *, valid_from=date(2026, 1, 1), **kwargs):
    approved_without_permit(case)
    return permit_issue(
        case=case, actor=reviewer, valid_from=valid_from, conditions=kwargs.pop("conditions", None), **kwargs
    )


def submit_copy(case, officer, capture):
    """Submit a draft made by copying (an amendment or extension): copies carry no documents, so the end-user
    certificate is filed again, as the officer would."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from cases.services import case_add_document
    from cases.vocab import DocumentType

    from .factories import PDF_BYTES

    case_add_document(
        case=case,
        actor=officer,
        doc_type=DocumentType.END_USER_CERTIFICATE,
        upload=SimpleUploadedFile("euc.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    case.refresh_from_db()
    with capture(execute=True):
        case_submit(case=case, actor=officer)
    case.refresh_from_db()
    return case
