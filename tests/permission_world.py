"""The objects the permission matrix requests: one of each kind a URL can name, made through the services the app
uses, owned by organisation A (whose officer is `officer` and whose admin is `org_admin`), with staff of every role
and an officer of another organisation B who owns nothing."""

import io
from dataclasses import dataclass
from datetime import date

from django.core.management import call_command
from rest_framework.authtoken.models import Token

from accounts.models import User
from accounts.roles import Role
from cases.models import Case, Document
from cases.services import case_submit
from parties.models import ListVersion, PotentialMatch, RestrictedList
from permits.models import Permit
from rechecks.models import Finding, RecheckRun
from review.models import Queue, RefusalReason, RoutingRule
from review.services import case_claim, case_recommend
from rfis.models import InformationRequest
from rfis.services import information_request_open
from screening.models import RuleSetVersion
from screening.services import rule_set_create_draft
from search.models import SavedSearch

from .factories import make_case, make_organisation, make_user
from .permit_helpers import approve

# The roles of the matrix, in the order its expectation strings list them.
ROLES = ("anonymous", "officer", "org_admin", "other_officer", "reviewer", "senior_reviewer", "rule_admin", "auditor")


@dataclass
class World:
    users: dict[str, User | None]
    draft: Case  # organisation A's draft, with an end-user certificate
    document: Document  # that certificate
    screened: Case  # submitted and screened, waiting in the general queue
    in_review: Case  # claimed by `reviewer`
    awaiting: Case  # recommended by `reviewer`, waiting for a senior reviewer's countersignature
    asked: Case  # in review with an open request for information from `reviewer`
    rfi: InformationRequest
    approved: Case
    permit: Permit  # issued on `approved`'s approval
    match: PotentialMatch  # a restricted-party hit on `screened`
    saved: SavedSearch  # `officer`'s
    run: RecheckRun
    finding: Finding  # on `permit`
    published: RuleSetVersion
    draft_rules: RuleSetVersion
    routing_rule: RoutingRule

    def token(self, role: str) -> str | None:
        user = self.users[role]
        return None if user is None else Token.objects.get_or_create(user=user)[0].key


def build_world(capture) -> World:
    """`capture` runs on-commit callbacks (screening on submission) inside the enclosing transaction."""
    org = make_organisation("Organisation A Co., Ltd.")
    other_org = make_organisation("Organisation B Co., Ltd.")
    users = {
        "anonymous": None,
        "officer": make_user(Role.OFFICER, organisation=org, username="m_officer"),
        # The admin role alone (as the demo's admins hold it): it is an officer of the organisation by that role.
        "org_admin": make_user(Role.ORG_ADMIN, organisation=org, username="m_org_admin"),
        "other_officer": make_user(Role.OFFICER, organisation=other_org, username="m_other_officer"),
        "reviewer": make_user(Role.REVIEWER, username="m_reviewer"),
        "senior_reviewer": make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="m_senior"),
        "rule_admin": make_user(Role.RULE_ADMIN, username="m_ruleadmin"),
        "auditor": make_user(Role.AUDITOR, username="m_auditor"),
    }
    officer, reviewer = users["officer"], users["reviewer"]
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    published = RuleSetVersion.objects.get(status="published")
    draft_rules = rule_set_create_draft(base=published, label="matrix-draft", actor=users["rule_admin"])

    def submitted(**overrides) -> Case:
        case = make_case(officer, **overrides)
        with capture(execute=True):
            case_submit(case=case, actor=officer)
        case.refresh_from_db()
        return case

    draft = make_case(officer)
    screened = submitted()
    in_review = case_claim(case=submitted(), actor=reviewer)
    awaiting = case_claim(case=submitted(), actor=reviewer)
    with capture(execute=True):
        case_recommend(
            case=awaiting, actor=reviewer, recommendation="refuse", reasons="Statement and contract disagree.",
            refusal_reasons=list(RefusalReason.objects.filter(active=True)[:1]),
            applicant_text="The statement names another product.",
        )  # fmt: skip
    awaiting.refresh_from_db()
    asked = case_claim(case=submitted(), actor=reviewer)
    with capture(execute=True):
        rfi = information_request_open(
            case=asked, actor=reviewer, questions="Which motor are the magnets for?", deadline=date(2099, 1, 1)
        )
    asked.refresh_from_db()
    with capture(execute=True):
        approved = approve(submitted(), reviewer)
    permit = Permit.objects.get(case=approved)

    listed, _ = RestrictedList.objects.get_or_create(key="MATRIX", defaults={"name": "Matrix list", "format": "csv"})
    version, _ = ListVersion.objects.get_or_create(restricted_list=listed, number=1, effective_from=date(2025, 1, 1))
    match = PotentialMatch.objects.create(
        case=screened, party_index=0, party_name="Stuttgart Antriebstechnik GmbH", restricted_list=listed,
        list_version=version, entry_id="E1", entry_name="Stuttgart Antrieb", entry_hash="x", score="0.9100",
        band="review",
    )  # fmt: skip
    run = RecheckRun.objects.create(
        trigger="manual", old_version=published, new_version=published, decisive_date=date(2026, 1, 1),
        baseline_date=date(2026, 1, 1), status="done", total=1, done=1, changed=1,
    )  # fmt: skip
    finding = Finding.objects.create(
        run=run, permit=permit, direction="stricter", old_outcome="licence_required", new_outcome="prohibited"
    )
    routing_rule = RoutingRule.objects.create(
        queue=Queue.objects.get(slug="general"), priority=90, destination_country="FR", description="Matrix"
    )
    saved = SavedSearch.objects.create(user=officer, name="Mine", query="status=submitted")
    return World(
        users=users, draft=draft, document=draft.documents.get(), screened=screened, in_review=in_review,
        awaiting=awaiting, asked=asked, rfi=rfi, approved=approved, permit=permit, match=match, saved=saved,
        run=run, finding=finding, published=published, draft_rules=draft_rules, routing_rule=routing_rule,
    )  # fmt: skip
