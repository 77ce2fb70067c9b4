import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import Organisation, User
from accounts.roles import CASE_READER_ROLES, Role
from audit.models import AuditEvent
from cases.casedoc import case_document
from cases.completeness import case_check_completeness
from cases.management import demo_review
from cases.management.commands.seed_demo import CASES, DEMO_PASSWORD, USERS, demo_pdf
from cases.models import Case, Document, Item, Party
from cases.selectors import with_facts
from permits.models import Permit, Shipment
from permits.selectors import permit_balance, permit_visible_to
from rechecks.models import Finding, RecheckRun
from rechecks.selectors import READER_ROLES
from review.models import CaseAssignment, CaseNote, Recommendation
from rfis.models import InformationRequest, InformationResponse
from screening.contract import validate
from screening.models import RuleSetVersion

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


# --- The living demo: review, permits, the rule change and its re-check ----------------------------------------

DEMO_TODAY = date(2026, 3, 16)


def _load_rules_and_lists() -> None:
    # What `make setup` runs before seed_demo; the Chinese lists only (the CSL is large and no demo party is on it).
    call_command("load_rule_pack", "--publish", stdout=StringIO())
    call_command("load_shipped_lists", "--only", "CN-CONTROL", "CN-WATCH", "CN-UEL", stdout=StringIO())


def _seed_on(today: date = DEMO_TODAY) -> str:
    out = StringIO()
    call_command("seed_demo", "--today", today.isoformat(), stdout=out)
    return out.getvalue()


def _living_counts() -> dict[str, int]:
    models = (
        Case,
        Document,
        AuditEvent,
        Permit,
        Shipment,
        InformationRequest,
        InformationResponse,
        CaseNote,
        Recommendation,
        RuleSetVersion,
        RecheckRun,
        Finding,
    )
    counts = {model.__name__: model.objects.count() for model in models}
    counts["open findings"] = Finding.objects.filter(status=Finding.Status.OPEN).count()
    counts["statuses"] = sorted(Case.objects.values_list("reference", "status"))
    counts["permit statuses"] = sorted(Permit.objects.values_list("number", "status"))
    return counts


@pytest.fixture
def living_demo():
    _load_rules_and_lists()
    output = _seed_on()
    return output


def test_the_demo_has_review_work_decisions_permits_and_a_recheck(living_demo):
    assert "stories played" in living_demo
    by_description = {c.end_use_description: c for c in Case.objects.filter(copied_from__isnull=True)}
    reviewer = User.objects.get(username="reviewer")

    # In review, claimed by the demo reviewer: one waiting for an answer, one answered with a document.
    waiting = by_description[demo_review.RE_EXPORT_TO_INDIA]
    assert waiting.status == "information_requested"
    assert CaseAssignment.objects.get(case=waiting).assigned_to == reviewer
    request = InformationRequest.objects.get(case=waiting, status="open")
    assert {q["code"] for q in request.standard_questions} == {"end-user-statement", "re-export-assurance"}
    assert request.deadline == DEMO_TODAY + timedelta(days=demo_review.RFI_DEADLINE_DAYS)
    answered = by_description[demo_review.SINTERING_TECHNOLOGY]
    assert answered.status == "in_review" and CaseAssignment.objects.get(case=answered).assigned_to == reviewer
    response = InformationResponse.objects.get(request__case=answered)
    assert response.attachments.count() == 1
    assert {n.visibility for n in CaseNote.objects.filter(case=answered)} == {"internal", "applicant"}
    assert CaseNote.objects.filter(case=waiting, visibility="internal").exists()

    # Decided: alone, with four eyes, refused with standard reasons; every approval issued its permit.
    alone = by_description[demo_review.MAGNETS_TO_GERMANY]
    assert alone.status == "approved" and not Recommendation.objects.get(case=alone).needs_countersignature
    four_eyes = by_description[demo_review.WATCH_LIST_BUYER]
    row = Recommendation.objects.get(case=four_eyes)
    assert four_eyes.status == "approved" and row.screening_outcome == "case_by_case"
    assert row.countersigned_by.username == "senior.reviewer" and row.countersign_agreed
    assert Permit.objects.get(case=four_eyes).issued_by.username == "senior.reviewer"
    refused = by_description[demo_review.CUBIC]
    assert refused.status == "refused"
    assert set(Recommendation.objects.get(case=refused).refusal_reasons.values_list("code", flat=True)) == {
        "listed-party",
        "national-security",
    }
    assert Permit.objects.filter(case__status="approved").count() == Case.objects.filter(status="approved").count()
    # The cases nobody has claimed yet wait in the queues, screened under the seed rules.
    waiting_in_queue = Case.objects.filter(status="screened")
    assert waiting_in_queue.count() >= 2
    assert {s.version.label for c in waiting_in_queue for s in c.screenings.all()} == {"2026.1"}

    # Permits used: shipments against one, which is nearly used up; one suspended with a reason; one amended.
    used = Permit.objects.get(case=alone)
    assert Shipment.objects.filter(permit=used).count() == 2
    (balance,) = permit_balance(permit=used)
    assert used.status == "issued" and balance.quantity_used / balance.item.quantity_limit >= Decimal("0.9")
    suspended = Permit.objects.get(case=by_description[demo_review.MAGNETS_TO_KOREA])
    assert suspended.status == "suspended" and suspended.status_reason
    amendment = Case.objects.get(amends_permit=used)
    assert amendment.kind == "amendment" and amendment.status == "draft"

    # The rule admin's version, and the re-check its publication started: done, with a stricter finding left
    # open for triage and another already triaged.
    version = RuleSetVersion.objects.get(label__endswith=demo_review.DEMO_RULE_SET_SUFFIX)
    assert version.status == "published" and version.published_by.username == "rule.admin"
    assert version.effective_from == DEMO_TODAY
    run = RecheckRun.objects.get(new_version=version)
    assert run.status == "done" and run.decisive_date == DEMO_TODAY
    findings = {f.permit_id: f for f in Finding.objects.filter(run=run, direction="stricter")}
    assert findings[used.pk].status == "open"
    assert findings[suspended.pk].status == "kept" and findings[suspended.pk].triaged_by == reviewer
    assert AuditEvent.objects.filter(verb="recheck.finding_keep").count() == 1


def test_the_demo_is_told_through_the_services_audit_trail(living_demo):
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        "case.claim",
        "information_request.opened",
        "information_request.answered",
        "case.note_added",
        "case.recommended",
        "case.countersigned",
        "permit.issued",
        "permit.shipment_recorded",
        "permit.suspend",
        "permit.amendment_started",
        "ruleset.draft_created",
        "rule.changed",
        "ruleset.published",
        "recheck.created",
        "recheck.completed",
        "recheck.finding_keep",
    } <= verbs
    assert AuditEvent.objects.filter(verb="ruleset.published", actor__username="rule.admin").exists()


def test_seeding_the_living_demo_twice_changes_nothing(living_demo):
    first = _living_counts()
    output = _seed_on(DEMO_TODAY + timedelta(days=1))
    assert _living_counts() == first
    assert "0 stories played" in output


def test_without_a_rule_set_the_review_demo_is_left_out():
    output = _seed()
    assert "No rule set is published" in output
    assert not Permit.objects.exists() and not RecheckRun.objects.exists()


def _pages_for(user: User) -> list[str]:
    """The pages each demo user lands on, all of which must answer 200."""
    cases = Case.objects.exclude(status="draft").order_by("id")
    permits = permit_visible_to(user).order_by("id")
    if user.organisation_id:
        cases = cases.filter(organisation=user.organisation)
    pages = ["/", "/cases/", "/permits/"]
    if user.is_officer:
        pages.append("/dashboard/")
    if user.is_officer or user.role_set & CASE_READER_ROLES:
        pages.append(f"/cases/{cases.first().reference}/")
    if permits.exists():
        pages.append(f"/permits/{permits.first().number}/")
    if user.role_set & CASE_READER_ROLES:
        pages.append("/review/")
    if user.has_role(*READER_ROLES):
        pages += ["/rechecks/findings/", "/rechecks/"]
    return pages


def test_key_pages_answer_200_for_every_demo_user(living_demo, client):
    for spec in USERS:
        user = User.objects.get(username=spec.username)
        client.force_login(user)
        for url in _pages_for(user):
            # The home page sends each role on to its own start page: that page must answer too.
            response = client.get(url, follow=True)
            assert response.status_code == 200, (spec.username, url, response.redirect_chain)
        client.logout()


def test_staff_pages_show_the_demo(living_demo, client):
    client.force_login(User.objects.get(username="reviewer"))
    used = Permit.objects.get(case__end_use_description=demo_review.MAGNETS_TO_GERMANY)
    assert used.number in client.get("/rechecks/findings/").content.decode()
    page = client.get(f"/permits/{used.number}/").content.decode()
    assert "Shipments" in page or "shipments" in page


def test_a_worker_starting_after_the_seed_screens_no_submission_again(living_demo):
    # With REDIS_URL set the submissions' tasks wait for a worker that starts after `make setup`, by which time the
    # rule admin's version is in force: the screenings the decisions rest on must stay the latest.
    from screening.models import Screening
    from screening.services import case_screen

    before = Screening.objects.count()
    screened = Case.objects.filter(screenings__isnull=False).distinct()
    assert screened.filter(status="approved").exists()
    for case in screened:
        first = Screening.objects.filter(case=case).order_by("created_at", "id").first()
        assert case_screen(case_id=case.pk).pk == first.pk
        assert first.version.label == "2026.1"
    assert Screening.objects.count() == before
