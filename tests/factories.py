"""Builders for test data. They go through the services, so tests see the same objects the app makes."""

import itertools
from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.services import user_create
from cases.models import Case
from cases.services import case_add_document, case_create
from cases.vocab import DocumentType

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)

# The smallest real PDF: enough for content sniffing.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_organisation(name: str | None = None, country: str = "CN") -> Organisation:
    return Organisation.objects.create(name=name or f"Exporter {next(_seq)} Co., Ltd.", country=country)


def make_user(*roles: Role, organisation: Organisation | None = None, username: str | None = None) -> User:
    return user_create(
        username=username or f"user{next(_seq)}",
        password=PASSWORD,
        email=f"user{next(_seq)}@example.com",
        organisation=organisation,
        roles=roles,
    )


def item_data(**overrides) -> dict:
    data = {
        "kind": "goods",
        "description": "Sintered NdFeB magnets, 2.5 wt % Dy",
        "control_code": "1C905.a",
        "hs_code": "8505111000",
        "produced_in": "CN",
        "quantity_amount": Decimal("500"),
        "quantity_unit": "kg",
        "value_amount": Decimal("42000.00"),
        "value_currency": "USD",
        "elements": [{"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.025")}],
        "content": [],
    }
    data.update(overrides)
    return data


def party_data(**overrides) -> dict:
    data = {
        "role": "end_user",
        "name": "Stuttgart Antriebstechnik GmbH",
        "country": "DE",
        "address": "Industriestr. 5, 70565 Stuttgart",
        "category": "commercial",
        "owners": [],
    }
    data.update(overrides)
    return data


def case_data(**overrides) -> dict:
    data = {
        "licence_type": "single",
        "transaction": "export",
        "destination_country": "DE",
        "decisive_date": date(2025, 6, 1),
        "end_use_categories": ["civil"],
        "end_use_description": "Traction motors for electric cars",
        "items": [item_data()],
        "parties": [party_data()],
    }
    data.update(overrides)
    return data


def make_case(officer: User, *, with_certificate: bool = True, **overrides) -> Case:
    case = case_create(organisation=officer.organisation, filed_by=officer, data=case_data(**overrides))
    if with_certificate:
        case_add_document(
            case=case,
            actor=officer,
            doc_type=DocumentType.END_USER_CERTIFICATE,
            upload=SimpleUploadedFile("euc.pdf", PDF_BYTES, content_type="application/pdf"),
        )
        case.refresh_from_db()
    return case


def recommended_for(case, action: str, actor, other) -> None:
    """The recommendation row a decision action rests on, as `case_recommend` or `case_countersign` writes it just
    before taking the action (`other` is the author a countersigning `actor` signs for): for tests that take a
    decision straight through `case_transition`, which refuses one without it (review.services.decision_guard)."""
    from django.utils import timezone

    from review.models import Recommendation

    decision = "refuse" if action in ("refuse", "countersign_refuse") else "approve"
    if action in ("approve", "refuse"):
        Recommendation.objects.create(case=case, reviewer=actor, decision=decision, reasons="r")
    elif action == "refer_for_countersignature":
        Recommendation.objects.create(
            case=case, reviewer=actor, decision=decision, reasons="r", needs_countersignature=True
        )
    elif action in ("countersign_approve", "countersign_refuse", "return_to_review"):
        Recommendation.objects.create(
            case=case, reviewer=other, decision=decision, reasons="r", needs_countersignature=True,
            countersigned_by=actor, countersigned_at=timezone.now(), countersign_agreed=action != "return_to_review",
        )  # fmt: skip
