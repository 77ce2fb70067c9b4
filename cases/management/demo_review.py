"""The second half of the demo: what the authority did with the submitted demo cases. Reviewers claimed them,
asked for information, decided (alone, and with four eyes), permits were issued and used, one was suspended and
one is being amended; then the rule admin published a stricter rule and the re-check it started found permits
to look at again.

Everything goes through the services, in the order people would have acted, so audit trails, review clocks,
e-mails and permits are the ones real use makes. Each story is one transaction and runs only while its case
(or permit, or rule-set version) is still where the seed left it, so running the seed again changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.models import Organisation, User
from cases.models import Case, CaseKind
from cases.vocab import CaseStatus, DocumentType
from permits.models import Permit, PermitStatus
from permits.services import permit_amendment_start, shipment_record
from permits.workflow import permit_transition
from rechecks.models import Finding, RecheckChunk, RecheckRun
from rechecks.services import finding_triage, recheck_chunk_process, recheck_run_start
from review.models import RefusalReason
from review.services import case_claim, case_countersign, case_note_add, case_recommend
from rfis.services import Attachment, information_request_answer, information_request_open
from screening.models import Rule, RuleSetVersion
from screening.packs import rule_to_pack
from screening.selectors import NoRuleSet, rule_set_in_force
from screening.services import case_screen, rule_save, rule_set_create_draft, rule_set_publish

# The end-use descriptions of the demo cases the stories act on (see CASES in seed_demo).
RE_EXPORT_TO_INDIA = "Sintered NdFeB magnets for ceiling fans"
SINTERING_TECHNOLOGY = "Start-up of the sintering line of the Hai Phong magnet joint venture"
MAGNETS_TO_GERMANY = "Traction motors for electric cars (order GRM-2025-031)"
WATCH_LIST_BUYER = "Voice-coil motors for hard-disk drives"
MAGNETS_TO_KOREA = "Drive motors for electric buses"
CUBIC = "Magnets for training-system actuators"

# The version the rule admin publishes: the seed's rules with Ann. 18 items decided case by case.
DEMO_RULE_SET_SUFFIX = "-demo"
CHANGED_RULE = "CN-18-1"
RFI_DEADLINE_DAYS = 20


@dataclass
class Demo:
    users: dict[str, User]
    today: date

    def case(self, description: str) -> Case | None:
        return (
            Case.objects.filter(end_use_description=description, copied_from__isnull=True)
            .select_related("organisation")
            .first()
        )


def _screened(case: Case) -> Case:
    """The case, screened. Submission screens once it commits: in-process in the embedded default, by the worker
    when REDIS_URL is set (and no worker runs during `make setup`). `case_screen` is idempotent, so screening
    here first leaves the worker nothing to do but find the screening stored."""
    case.refresh_from_db()
    if case.status == CaseStatus.SUBMITTED:
        case_screen(case_id=case.pk)
        case.refresh_from_db()
    return case


def _pdf(name: str, title: str, lines: list[str]) -> SimpleUploadedFile:
    from .commands.seed_demo import demo_pdf

    return SimpleUploadedFile(name, demo_pdf(title, lines), content_type="application/pdf")


# --- Cases in review ---------------------------------------------------------------------------------------------


def open_request(demo: Demo, case: Case) -> None:
    """Claimed by the demo reviewer, who notes a doubt for colleagues and asks the trader standard questions."""
    reviewer = demo.users["reviewer"]
    case = case_claim(case=case, actor=reviewer)
    case_note_add(
        case=case,
        actor=reviewer,
        visibility="internal",
        text="Chinese-origin Dy oxide re-exported as it is: check the original Chinese export licence against the "
        "trader's purchase records before deciding.",
    )
    information_request_open(
        case=case,
        actor=reviewer,
        standard_codes=["end-user-statement", "re-export-assurance"],
        questions="Please also send the bill of lading of the original shipment from China to Singapore.",
        deadline=demo.today + timedelta(days=RFI_DEADLINE_DAYS),
        today=demo.today,
    )


def answered_request(demo: Demo, case: Case) -> None:
    """Claimed by the demo reviewer, who asked who owns the joint venture; the officer answered with the share
    register, and the review goes on with notes for colleagues and for the applicant."""
    reviewer, officer = demo.users["reviewer"], demo.users["ganzhou.officer"]
    case = case_claim(case=case, actor=reviewer)
    request = information_request_open(
        case=case,
        actor=reviewer,
        standard_codes=["end-user-ownership"],
        questions="Which of the joint venture's shareholders appoint its technical director?",
        deadline=demo.today + timedelta(days=RFI_DEADLINE_DAYS),
        today=demo.today,
    )
    information_request_answer(
        request=request,
        actor=officer,
        text="The share register is attached. Viet Industrial Holdings JSC holds 51 % and appoints the technical "
        "director; we appoint the deputy.",
        attachments=[
            Attachment(
                upload=_pdf(
                    "share-register.pdf",
                    "Share register",
                    [
                        f"Case: {case.reference}",
                        "Hai Phong Advanced Magnet JV Co., Ltd.",
                        "Viet Industrial Holdings JSC: 51 % (appoints the technical director)",
                        "Ganzhou Rare Magnet Co., Ltd.: 49 % (appoints the deputy)",
                        "Demo document generated by Licensa's seed_demo command.",
                    ],
                ),
                doc_type=DocumentType.OTHER,
            )
        ],
    )
    case.refresh_from_db()
    case_note_add(
        case=case,
        actor=reviewer,
        visibility="applicant",
        text="Thank you for the share register. We will tell you if we need anything else.",
    )
    case_note_add(
        case=case,
        actor=reviewer,
        visibility="internal",
        text="Majority foreign-owned: the technology leaves Chinese control. Recommend with a no-transfer condition.",
    )


# --- Decisions, permits and what happened to them ----------------------------------------------------------------


def approved_and_used(demo: Demo, case: Case) -> None:
    """Approved by the reviewer alone (a licence is required, nothing worse), so the permit is issued at once. The
    exporter shipped most of it and started an amendment for the rest of the order."""
    reviewer, officer = demo.users["reviewer"], demo.users["ganzhou.officer"]
    case = case_claim(case=case, actor=reviewer)
    case_recommend(
        case=case,
        actor=reviewer,
        recommendation="approve_with_conditions",
        reasons="Civil end use by a known automotive supplier; end-user certificate verified.",
        conditions="No re-export from Germany without the licensing authority's prior written consent.",
    )
    permit = Permit.objects.get(case=case)
    item = permit.items.get()
    # Shipped on the first day of validity: the permit is valid from the day of the decision, whenever that is.
    for quantity, value in (("200", "16800.00"), ("260", "21840.00")):
        shipment_record(
            permit=permit,
            actor=officer,
            shipped_on=permit.valid_from,
            lines=[{"item": item.pk, "quantity": Decimal(quantity), "value": Decimal(value)}],
        )
    permit.refresh_from_db()
    permit_amendment_start(permit=permit, actor=officer, kind=CaseKind.AMENDMENT)


def four_eyes_approval(demo: Demo, case: Case) -> None:
    """A Watch List buyer makes the case case-by-case: a senior reviewer recommends, another countersigns, and
    the countersignature issues the permit."""
    author, signer = demo.users["senior.reviewer2"], demo.users["senior.reviewer"]
    case = case_claim(case=case, actor=author)
    row = case_recommend(
        case=case,
        actor=author,
        recommendation="approve_with_conditions",
        reasons="Watch List buyer: the risk assessment and the written commitment not to supply military users are "
        "on file; civil data-storage use.",
        conditions="Single shipment only. The end user confirms receipt and use within 30 days of delivery.",
    )
    case_countersign(case=row.case, actor=signer, agree=True, note="Agreed: the commitment covers the whole quantity.")


def approved_then_suspended(demo: Demo, case: Case) -> None:
    """Approved by the second reviewer; later suspended while the end user's certificate is checked."""
    reviewer, senior = demo.users["reviewer2"], demo.users["senior.reviewer"]
    case = case_claim(case=case, actor=reviewer)
    case_recommend(
        case=case, actor=reviewer, recommendation="approve", reasons="Civil end use; end-user certificate in order."
    )
    permit_transition(
        permit=Permit.objects.get(case=case),
        action="suspend",
        actor=senior,
        reason="The Korean authority is verifying the end-user certificate; no shipments until it is confirmed.",
    )


def refused(demo: Demo, case: Case) -> None:
    """A Control List end user: prohibited, refused with the standard reasons, countersigned."""
    author, signer = demo.users["senior.reviewer"], demo.users["senior.reviewer2"]
    case = case_claim(case=case, actor=author)
    row = case_recommend(
        case=case,
        actor=author,
        recommendation="refuse",
        reasons="The end user is on the Control List; the items are controlled.",
        refusal_reasons=list(RefusalReason.objects.filter(code__in=["listed-party", "national-security"])),
        applicant_text="A party to this transaction is on the Control List, so the export cannot be licensed.",
    )
    case_countersign(case=row.case, actor=signer, agree=True)


CASE_STORIES: list[tuple[str, Callable[[Demo, Case], None]]] = [
    (RE_EXPORT_TO_INDIA, open_request),
    (SINTERING_TECHNOLOGY, answered_request),
    (MAGNETS_TO_GERMANY, approved_and_used),
    (WATCH_LIST_BUYER, four_eyes_approval),
    (MAGNETS_TO_KOREA, approved_then_suspended),
    (CUBIC, refused),
]


# --- The rule change and its re-check ----------------------------------------------------------------------------


def publish_stricter_rules(demo: Demo, base: RuleSetVersion) -> RuleSetVersion:
    """The rule admin drafts a version from the one in force, makes Ann. 18 items case-by-case and publishes it
    from `today`. The publication starts the re-check of the permits the change can reach."""
    admin = demo.users["rule.admin"]
    draft = rule_set_create_draft(base=base, label=f"{base.label}{DEMO_RULE_SET_SUFFIX}", actor=admin)
    rule = rule_to_pack(Rule.objects.get(version=draft, code=CHANGED_RULE))
    rule["outcome"] = "case_by_case"
    rule["summary"] = "Export of listed medium and heavy rare-earth items (1C902-1C908) is decided case by case."
    rule_save(version=draft, actor=admin, data=rule, code=CHANGED_RULE)
    return rule_set_publish(version=draft, actor=admin, effective_from=demo.today)


def run_to_completion(run: RecheckRun) -> bool:
    """The run, finished. In the embedded default its tasks ran in-process when the publication committed, and
    this finds nothing left to do; with REDIS_URL set no worker runs during `make setup`, so the run is worked
    here. Both steps are idempotent: the worker later finds the run started and every chunk done. Returns whether
    anything was left to do."""
    run.refresh_from_db()
    worked = run.status == RecheckRun.Status.PENDING
    if worked:
        recheck_run_start(run_id=run.pk)
    pending = RecheckChunk.objects.filter(run=run, status=RecheckChunk.Status.PENDING)
    for index in pending.order_by("index").values_list("index", flat=True):
        recheck_chunk_process(run_id=run.pk, index=index)
        worked = True
    run.refresh_from_db()
    return worked


def triage_one(demo: Demo, run: RecheckRun) -> None:
    """The reviewer keeps the suspended permit as it is (its suspension already stops shipments) and leaves the
    others' findings open in the triage queue."""
    findings = Finding.objects.filter(run=run, direction=Finding.Direction.STRICTER).select_related("permit")
    if findings.exclude(status=Finding.Status.OPEN).exists():
        return
    suspended = next((f for f in findings if f.permit.status == PermitStatus.SUSPENDED), None)
    if suspended is None:
        return
    finding_triage(
        finding=suspended,
        actor=demo.users["reviewer"],
        action="keep",
        reason="Already suspended while the end user is verified; the case-by-case review is part of that check.",
    )


# --- Entry point -------------------------------------------------------------------------------------------------


def seed_review(*, organisations: dict[str, Organisation], users: dict[str, User], today: date) -> str:
    """Play the stories that have not been played yet; returns a line for the command's output."""
    try:
        base = rule_set_in_force(today=today)
    except NoRuleSet:
        return "No rule set is published: the review, permits and re-check demo is left out (load_rule_pack first)."
    demo = Demo(users=users, today=today)
    # Every submitted demo case screened before the rule admin's version comes into force, so the queues show
    # them under the seed rules whether or not a worker has run yet.
    for case in Case.objects.filter(organisation__in=list(organisations.values()), status=CaseStatus.SUBMITTED):
        _screened(case)
    played = 0
    for description, story in CASE_STORIES:
        case = demo.case(description)
        if case is None:
            continue
        case = _screened(case)
        if case.status != CaseStatus.SCREENED:
            continue  # played before (or moved on by someone using the demo)
        with transaction.atomic():
            story(demo, case)
        played += 1
    label = (base.based_on.label if base.label.endswith(DEMO_RULE_SET_SUFFIX) and base.based_on else base.label) + (
        DEMO_RULE_SET_SUFFIX
    )
    version = RuleSetVersion.objects.filter(label=label).first()
    if version is None and Permit.objects.filter(status__in=(PermitStatus.ISSUED, PermitStatus.SUSPENDED)).exists():
        with transaction.atomic():
            version = publish_stricter_rules(demo, base)
        played += 1
    run = RecheckRun.objects.filter(new_version=version).order_by("id").first() if version else None
    ran = ""
    if run is not None:
        if run_to_completion(run):
            ran = f" (re-check run {run.pk} worked by the seed: no worker had taken it yet)"
        with transaction.atomic():
            triage_one(demo, run)
    findings = Finding.objects.filter(status=Finding.Status.OPEN).count()
    return (
        f"Review demo: {played} stories played; {Permit.objects.count()} permits, "
        f"{findings} re-check findings open{ran}."
    )
