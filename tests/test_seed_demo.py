import re
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Organisation, User
from accounts.roles import Role
from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.completeness import case_check_completeness
from cases.management.commands.seed_demo import CASES, DEMO_PASSWORD, USERS, demo_pdf
from cases.models import Case, Document, Item, Party
from cases.selectors import with_facts
from screening.contract import validate

pytestmark = pytest.mark.django_db


def _counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count() for model in (Organisation, User, Case, Item, Party, Document, AuditEvent)
    }


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_twice_creates_nothing_twice():
    first_output = _seed()
    first = _counts()
    second_output = _seed()
    assert _counts() == first
    assert f"{len(CASES)} cases created (0 already there)" in first_output
    assert f"0 cases created ({len(CASES)} already there)" in second_output
    # Each spec makes one case, and the copy step one more.
    copies = sum(spec.steps.count("copy") for spec in CASES)
    assert first["Case"] == len(CASES) + copies >= 12
    assert first["Organisation"] >= 2 and first["User"] == len(USERS)


def test_seed_prints_the_accounts_and_the_password():
    output = _seed()
    assert DEMO_PASSWORD in output
    for spec in USERS:
        assert spec.username in output


def test_every_demo_account_signs_in_with_the_documented_password():
    _seed()
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        assert user.is_active and user.check_password(DEMO_PASSWORD), spec.username
        assert set(spec.roles) <= user.role_set


def test_authority_staff_and_organisations_are_all_there():
    _seed()
    held = {role for user in User.objects.all() for role in user.role_set}
    assert held == set(Role)
    for organisation in Organisation.objects.all():
        members = list(organisation.members.all())
        assert any(m.has_role(Role.ORG_ADMIN) for m in members), organisation.name
        assert any(m.has_role(Role.OFFICER) for m in members), organisation.name


def test_cases_come_in_every_state():
    _seed()
    cases = list(with_facts(Case.objects.all()))
    statuses = {c.status for c in cases}
    # Submitted cases may already be screened where a rule set is loaded; here none is, so they stay submitted.
    assert statuses == {"draft", "submitted", "withdrawn"}
    assert any(c.status == "withdrawn" and c.submitted_at for c in cases), "withdrawn after submission"
    assert any(c.status == "withdrawn" and not c.submitted_at for c in cases), "withdrawn as a draft"
    drafts = [c for c in cases if c.status == "draft"]
    assert any(case_check_completeness(c) for c in drafts), "an incomplete draft"
    assert any(not case_check_completeness(c) and c.copied_from_id is None for c in drafts), "a complete draft"
    copy = next(c for c in cases if c.copied_from_id is not None)
    assert copy.status == "draft" and copy.copied_from.status == "submitted"
    assert {c.organisation.country for c in cases} >= {"CN", "KR"}


def test_submitted_cases_validate_against_the_contract_and_have_a_real_audit_trail():
    _seed()
    submitted = list(with_facts(Case.objects.filter(status="submitted")))
    assert len(submitted) >= 5
    for case in submitted:
        assert validate("case", case_document(case)) == {}, case.reference
        assert case_check_completeness(case) == []
        verbs = list(AuditEvent.objects.filter(case=case).values_list("verb", flat=True))
        assert verbs[0] == "case.created" and "case.document_added" in verbs and "case.submit" in verbs
        assert all(d.content_type == "application/pdf" for d in case.documents.all())


def test_demo_pdf_is_well_formed():
    pdf = demo_pdf("End-user certificate (test)", ["Line one", "Ünïcode survives as latin-1"])
    assert pdf.startswith(b"%PDF-1.4\n") and pdf.endswith(b"%%EOF\n")
    startxref = int(re.search(rb"startxref\n(\d+)\n", pdf).group(1))
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(f"{number} 0 obj".encode())
    assert b"\\(test\\)" in pdf
