"""Who gets what from every URL: the permission matrix that tests/test_permission_matrix.py requests.

Each named route maps to the checks made on it: the HTTP method, how its URL's kwargs are built from the objects
of `permission_world.World`, and the status each role gets, as eight codes in the order of `ROLES`:

    anonymous  officer (of the owning organisation A)  org_admin (organisation A's admin, who holds no other role)
    other_officer (organisation B)  reviewer  senior_reviewer  rule_admin  auditor

An organisation admin acts as an officer of their organisation (the same cases, permits and requests) and, alone,
manages its members on the organisation page; saved searches stay their owner's, so the admin gets 404 for the
officer's.

Requests that would change something carry an empty body: where the role may act, the app answers with the form
again (200), a redirect with a message (302) or a 400/409; where it may not, 403 (authority staff without the
role) or 404 (anyone who may not see the object, exactly as if it did not exist). Every request runs in a
transaction that is rolled back, so one check never sees another's changes.

Pages send anonymous visitors to the login page (302); the API answers 401. A route of `config/urls.py` with no
entry here fails the test that names it."""

from collections.abc import Callable
from dataclasses import dataclass

from .permission_world import ROLES, World


@dataclass(frozen=True)
class Check:
    method: str
    kwargs: Callable[[World], dict]
    expect: str  # eight status codes, in the order of ROLES
    why: str = ""
    # A complete body, where an empty one would be refused before the permission check is reached (a stale-page
    # check, a form validated first): the role that may act then acts (rolled back), the others are refused.
    data: Callable[[World], dict] | None = None

    def expected(self) -> dict[str, int]:
        codes = [int(c) for c in self.expect.split()]
        assert len(codes) == len(ROLES), self.expect
        return dict(zip(ROLES, codes, strict=True))


def none(w: World) -> dict:
    return {}


def case(attr: str, **extra) -> Callable[[World], dict]:
    return lambda w: {"reference": getattr(w, attr).reference, **extra}


def document(w: World) -> dict:
    return {"reference": w.draft.reference, "document_id": w.document.pk}


def match(w: World) -> dict:
    return {"reference": w.screened.reference, "match_id": w.match.pk}


def rfi(w: World) -> dict:
    return {"reference": w.asked.reference, "pk": w.rfi.pk}


def rfi_pk(w: World) -> dict:
    return {"pk": w.rfi.pk}


def published(w: World) -> dict:
    return {"label": w.published.label}


def draft_rules(w: World, **extra) -> dict:
    return {"label": w.draft_rules.label, **extra}


def draft_section(w: World) -> dict:
    return {"label": w.draft_rules.label, "section": "rules"}


def draft_row(w: World) -> dict:
    return {"label": w.draft_rules.label, "section": "rules", "key": "CN-57-1"}


def queue(w: World) -> dict:
    return {"slug": "general"}


def routing_rule(w: World) -> dict:
    return {"pk": w.routing_rule.pk}


def permit(w: World) -> dict:
    return {"number": w.permit.number}


def permit_action(w: World) -> dict:
    return {"number": w.permit.number, "action": "suspend"}


def run(w: World) -> dict:
    return {"pk": w.run.pk}


def finding(w: World) -> dict:
    return {"pk": w.finding.pk}


def import_job(w: World) -> dict:
    # A finished list import; made here, inside the request's savepoint, rather than in the shared world.
    from imports.models import ImportJob

    job = ImportJob.objects.create(
        kind="list", requested_by=w.users["rule_admin"], status="done", options={"list_key": "MATRIX"}
    )
    return {"pk": job.pk}


def saved(w: World) -> dict:
    return {"pk": w.saved.pk}


def reset_link(w: World) -> dict:
    # A link whose token is wrong: the page says the link is invalid, to anyone.
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return {"uidb64": urlsafe_base64_encode(force_bytes(w.users["officer"].pk)), "token": "0-0"}


def body(attr: str, **fields) -> Callable[[World], dict]:
    """A page form as the case page sends it: the case's current version and the action's fields."""

    def make(w: World) -> dict:
        from cases.models import Case

        return {"version": Case.objects.get(pk=getattr(w, attr).pk).version, **fields}

    return make


def fields(**values) -> Callable[[World], dict]:
    return lambda w: values


def reassign_to_reviewer(w: World) -> dict:
    return {**body("in_review")(w), "assignee": w.users["senior_reviewer"].pk, "reason": "Workload."}


MATRIX: dict[str, list[Check]] = {
    "home": [Check("get", none, "302 302 302 302 302 302 302 302", "signed in: sent to their own start page")],
    "login": [
        Check("get", none, "200 302 302 302 302 302 302 302", "signed in: sent on"),
        Check("post", none, "200 302 302 302 302 302 302 302"),
    ],
    "logout": [Check("post", none, "302 302 302 302 302 302 302 302")],
    "set_language": [
        Check("get", none, "405 405 405 405 405 405 405 405", "sets a cookie and a preference: POST only"),
        Check(
            "post",
            none,
            "302 302 302 302 302 302 302 302",
            "anyone may switch, the login page's visitors too: back to the page it was sent from",
            data=lambda w: {"language": "zh-hans", "next": "/login/"},
        ),
    ],
    "password_reset": [
        Check("get", none, "200 200 200 200 200 200 200 200"),
        Check("post", none, "200 200 200 200 200 200 200 200"),
    ],
    "password_reset_done": [Check("get", none, "200 200 200 200 200 200 200 200")],
    "password_reset_confirm": [Check("get", reset_link, "200 200 200 200 200 200 200 200")],
    "password_reset_complete": [Check("get", none, "200 200 200 200 200 200 200 200")],
    "organisation": [
        Check("get", none, "302 403 200 403 403 403 403 403", "the organisation admin only; its officers 403"),
        Check("post", none, "302 403 200 403 403 403 403 403", "empty: the admin gets the form again"),
        Check(
            "post",
            none,
            "302 403 302 403 403 403 403 403",
            "the admin adds an officer to their own organisation",
            fields(username="m_added_officer", email="added@example.org", first_name="Ada", last_name="Added"),
        ),
    ],
    "cases:list": [
        Check("get", none, "302 200 200 200 200 200 200 200", "each sees the cases they may; the list filters")
    ],
    "cases:new": [
        Check("get", none, "302 200 200 200 403 403 403 403", "officers file cases, staff do not"),
        Check("post", none, "302 200 200 200 403 403 403 403"),
    ],
    "cases:detail": [
        Check("get", case("screened"), "302 200 200 404 200 200 404 200"),
        Check("get", case("draft"), "302 200 200 404 404 404 404 404", "a draft is its organisation's alone"),
    ],
    "cases:edit": [
        Check("get", case("draft"), "302 200 200 404 404 404 404 404"),
        Check("post", case("draft"), "302 200 200 404 404 404 404 404"),
    ],
    "cases:composition": [
        Check("get", case("draft", line=1), "302 200 200 404 404 404 404 404"),
        Check("post", case("draft", line=1), "302 200 200 404 404 404 404 404"),
    ],
    "cases:owners": [
        Check("get", case("draft", line=1), "302 200 200 404 404 404 404 404"),
        Check("post", case("draft", line=1), "302 200 200 404 404 404 404 404"),
    ],
    "cases:upload": [
        Check("get", case("draft"), "302 200 200 404 404 404 404 404"),
        Check("post", case("draft"), "302 200 200 404 404 404 404 404"),
    ],
    "cases:download": [Check("get", document, "302 200 200 404 404 404 404 404")],
    "cases:document-remove": [Check("post", document, "302 302 302 404 404 404 404 404")],
    "cases:submit": [Check("post", case("draft"), "302 302 302 404 404 404 404 404")],
    "cases:withdraw": [
        Check("post", case("draft"), "302 200 200 404 404 404 404 404"),
        Check(
            "post",
            case("screened"),
            "302 200 200 404 403 403 404 403",
            "staff read the case but may not act for the applicant",
        ),
    ],
    "cases:copy": [Check("post", case("screened"), "302 302 302 404 403 403 404 403")],
    "parties:potential-match": [
        Check(
            "get", match, "302 403 403 404 200 200 404 200", "reviewers' work: the case's officers 403, outsiders 404"
        ),
        Check("post", match, "302 403 403 404 200 200 404 403"),
    ],
    "rfis:new": [
        Check("get", case("in_review"), "302 403 403 404 200 403 404 404"),
        Check(
            "post",
            case("in_review"),
            "302 403 403 404 302 403 404 404",
            "the holder only",
            fields(questions="Which motor?", deadline="2099-01-01"),
        ),
    ],
    "rfis:detail": [
        Check(
            "get",
            rfi,
            "302 200 200 404 200 200 404 404",
            "the case's officers and reviewers; auditors 404 like outsiders",
        ),
        Check("post", rfi, "302 200 200 404 302 302 404 404"),
    ],
    "rfis:cancel": [Check("post", rfi, "302 403 403 404 302 302 404 404")],
    "rules:list": [Check("get", none, "302 403 403 403 200 200 200 200", "authority staff read the rules")],
    "rules:new-draft": [Check("post", none, "302 403 403 403 403 403 200 403", "rule admins only")],
    "rules:import": [
        Check("get", none, "302 405 405 405 405 405 405 405"),
        Check("post", none, "302 403 403 403 403 403 200 403"),
    ],
    "rules:detail": [Check("get", published, "302 403 403 403 200 200 200 200")],
    "rules:validate": [Check("post", draft_rules, "302 403 403 403 403 403 200 403")],
    "rules:publish": [Check("post", draft_rules, "302 403 403 403 403 403 200 403")],
    "rules:export": [Check("get", published, "302 403 403 403 200 200 200 200")],
    "rules:diff": [Check("get", published, "302 403 403 403 200 200 200 200")],
    "rules:dry-run": [
        Check("get", published, "302 403 403 403 200 200 200 200"),
        Check("post", published, "302 403 403 403 200 200 200 200"),
    ],
    "rules:row-new": [
        Check("get", draft_section, "302 403 403 403 403 403 200 403"),
        Check("post", draft_section, "302 403 403 403 403 403 200 403"),
    ],
    "rules:row-edit": [
        Check("get", draft_row, "302 403 403 403 200 200 200 200"),
        Check("post", draft_row, "302 403 403 403 403 403 200 403"),
    ],
    "rules:row-delete": [Check("post", draft_row, "302 403 403 403 403 403 302 403")],
    "review:home": [Check("get", none, "302 403 403 403 200 200 403 200", "reviewers and auditors")],
    "review:queue": [Check("get", queue, "302 403 403 403 200 200 403 200")],
    "review:routing": [
        Check("get", none, "302 403 403 403 403 200 403 403", "senior reviewers run the queues"),
        Check("post", none, "302 403 403 403 403 200 403 403"),
    ],
    "review:routing-edit": [
        Check("get", routing_rule, "302 403 403 403 403 200 403 403"),
        Check("post", routing_rule, "302 403 403 403 403 200 403 403"),
    ],
    "review:routing-active": [Check("post", routing_rule, "302 403 403 403 403 302 403 403")],
    "review:claim": [Check("post", case("screened"), "302 403 403 404 302 302 404 403", data=body("screened"))],
    "review:release": [
        Check(
            "post",
            case("in_review"),
            "302 403 403 404 302 302 404 403",
            "the holder or a senior",
            body("in_review", reason="Leave."),
        )
    ],
    "review:reassign": [
        Check(
            "post", case("in_review"), "302 403 403 404 403 302 404 403", "senior reviewers only", reassign_to_reviewer
        )
    ],
    "review:recommend": [
        Check(
            "post",
            case("in_review"),
            "302 403 403 404 302 403 404 403",
            "the holder only",
            body("in_review", recommendation="approve", reasons="Routine."),
        )
    ],
    "review:countersign": [
        Check(
            "post",
            case("awaiting"),
            "302 403 403 404 403 302 404 403",
            "a senior other than the author",
            body("awaiting", agree="yes", note="Agreed."),
        )
    ],
    "review:close": [
        Check(
            "post",
            case("in_review"),
            "302 403 403 404 403 302 404 403",
            "senior reviewers only",
            body("in_review", reason="Lapsed."),
        )
    ],
    "review:note-add": [Check("post", case("in_review"), "302 200 200 404 200 200 404 200")],
    "permits:verify": [Check("get", permit, "200 200 200 200 200 200 200 200", "public: printed on certificates")],
    "permits:register": [Check("get", none, "302 200 200 200 200 200 200 200", "each sees the permits they may")],
    "permits:register-csv": [Check("get", none, "302 200 200 200 200 200 200 200")],
    "permits:detail": [Check("get", permit, "302 200 200 404 200 200 404 200")],
    "permits:certificate": [Check("get", permit, "302 200 200 404 200 200 404 200")],
    "permits:shipment-new": [
        Check("get", permit, "302 200 200 404 403 403 404 403"),
        Check("post", permit, "302 400 400 404 403 403 404 403"),
    ],
    "permits:action": [Check("post", permit_action, "302 403 403 404 400 400 404 403")],
    "permits:amend": [
        Check("get", permit, "302 405 405 405 405 405 405 405"),
        Check("post", permit, "302 302 302 404 403 403 404 403", "the holder's officers", fields(kind="amendment")),
    ],
    "rechecks:runs": [Check("get", none, "302 404 404 404 200 200 200 200", "officers get 404 on every re-check page")],
    "rechecks:run-new": [
        Check("get", none, "302 404 404 404 403 403 200 403"),
        Check("post", none, "302 404 404 404 403 403 200 403"),
    ],
    "rechecks:run": [Check("get", run, "302 404 404 404 200 200 200 200")],
    "rechecks:run-progress": [Check("get", run, "302 404 404 404 200 200 200 200")],
    "rechecks:findings": [Check("get", none, "302 404 404 404 200 200 200 200")],
    "rechecks:finding": [Check("get", finding, "302 404 404 404 200 200 200 200")],
    "rechecks:finding-triage": [
        Check("post", finding, "302 404 404 404 400 400 403 403", "reviewers triage (400: the empty form)")
    ],
    "imports:jobs": [Check("get", none, "302 403 403 403 403 403 200 200", "rule admins, and auditors to read")],
    "imports:list-new": [
        Check("get", none, "302 403 403 403 403 403 200 403", "rule admins only"),
        Check("post", none, "302 403 403 403 403 403 200 403", "the empty form again"),
    ],
    "imports:job": [Check("get", import_job, "302 403 403 403 403 403 200 200")],
    "imports:job-progress": [Check("get", import_job, "302 403 403 403 403 403 200 200")],
    "search:saved": [Check("get", none, "302 200 200 200 200 200 200 200")],
    "search:saved-create": [Check("post", none, "302 302 302 302 302 302 302 302")],
    "search:saved-open": [Check("get", saved, "302 302 404 404 404 404 404 404", "the owner's alone")],
    "search:saved-delete": [Check("post", saved, "302 302 404 404 404 404 404 404")],
    "search:export": [Check("get", none, "302 200 200 200 200 200 200 200")],
    "reports:dashboard": [Check("get", none, "302 403 403 403 403 200 403 200", "senior reviewers and auditors")],
    "reports:csv": [Check("get", fields(table="weekly"), "302 403 403 403 403 200 403 200", "as the dashboard")],
    "dashboard:officer": [
        Check("get", none, "302 200 200 200 302 302 302 302", "staff are sent to their own start page")
    ],
    "api-auth-token": [Check("post", none, "400 400 400 400 400 400 400 400", "open to all (400: no credentials)")],
    "api-case-list": [
        Check("get", none, "401 200 200 200 200 200 200 200"),
        Check("post", none, "401 201 201 201 403 403 403 403", "officers file cases; an empty draft is a valid draft"),
    ],
    "api-case-detail": [
        Check("get", case("screened"), "401 200 200 404 200 200 404 200"),
        Check("put", case("draft"), "401 200 200 404 404 404 404 404"),
        Check("patch", case("draft"), "401 200 200 404 404 404 404 404"),
    ],
    "api-case-documents": [
        Check("get", case("draft"), "401 200 200 404 404 404 404 404"),
        Check("post", case("draft"), "401 415 415 404 404 404 404 404"),
    ],
    "api-case-document-download": [Check("get", document, "401 200 200 404 404 404 404 404")],
    "api-case-validate": [Check("post", case("draft"), "401 200 200 404 404 404 404 404")],
    "api-case-submit": [Check("post", case("draft"), "401 200 200 404 404 404 404 404")],
    "api-case-withdraw": [Check("post", case("draft"), "401 200 200 404 404 404 404 404")],
    "api-case-copy": [Check("post", case("screened"), "401 201 201 404 403 403 404 403")],
    "api-case-casedoc": [Check("get", case("screened"), "401 200 200 404 200 200 404 200")],
    "api-screenings": [
        Check(
            "post",
            none,
            "401 400 400 400 400 400 400 400",
            "any signed-in user may screen a case document (400: empty)",
        )
    ],
    "api-case-claim": [Check("post", case("screened"), "401 403 403 404 200 200 404 403")],
    "api-case-release": [
        Check("post", case("in_review"), "401 403 403 404 200 200 404 403", data=fields(reason="Leave."))
    ],
    "api-case-recommend": [
        Check(
            "post",
            case("in_review"),
            "401 403 403 404 200 403 404 403",
            "the holder only",
            fields(recommendation="approve", reasons="Routine."),
        ),
        Check("post", case("in_review"), "401 400 400 404 400 400 404 400", "empty: outsiders 404 before validation"),
    ],
    "api-case-countersign": [
        Check(
            "post",
            case("awaiting"),
            "401 403 403 404 403 200 404 403",
            "a senior other than the author",
            fields(agree=True),
        ),
        Check("post", case("awaiting"), "401 400 400 404 400 400 404 400", "empty: outsiders 404 before validation"),
    ],
    "api-case-notes": [
        Check("get", case("in_review"), "401 200 200 404 200 200 404 200"),
        Check("post", case("in_review"), "401 400 400 404 400 400 404 400"),
    ],
    "api-case-decision": [
        Check("get", case("awaiting"), "401 404 404 404 404 404 404 404", "undecided: nothing to read"),
        Check("get", case("approved"), "401 200 200 404 200 200 404 200", "the applicant's view of the decision"),
    ],
    "api-permit-list": [Check("get", none, "401 200 200 200 200 200 200 200")],
    "api-permit-detail": [Check("get", permit, "401 200 200 404 200 200 404 200")],
    "api-permit-shipments": [
        Check("get", permit, "401 405 405 405 405 405 405 405"),
        Check("post", permit, "401 400 400 404 400 400 404 400"),
    ],
    "api-permit-action": [Check("post", permit_action, "401 403 403 404 400 400 404 403")],
    "api-case-information-requests": [
        Check("get", case("in_review"), "401 200 200 404 200 200 404 404"),
        Check("post", case("in_review"), "401 400 400 404 400 400 404 404"),
    ],
    "api-information-request": [Check("get", rfi_pk, "401 200 200 404 200 200 404 404")],
    "api-information-request-answer": [Check("post", rfi_pk, "401 400 400 404 400 400 404 404")],
    "api-information-request-cancel": [Check("post", rfi_pk, "401 403 403 404 200 200 404 404")],
    "api-schema": [Check("get", none, "200 200 200 200 200 200 200 200", "the API's public description")],
    "api-docs": [Check("get", none, "200 200 200 200 200 200 200 200")],
    "api-redoc": [Check("get", none, "200 200 200 200 200 200 200 200")],
}
