"""Amendments and extensions: a new case copied from the permit's case and linked to the permit; when its permit
is issued the old one is superseded. Extensions are counted along the chain."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEvent
from cases.models import Case, CaseKind
from cases.vocab import CaseStatus
from permits.models import Permit, PermitStatus
from permits.services import permit_amendment_start
from permits.workflow import permit_transition
from screening.models import LicenceType

from .permit_helpers import approve, load_rules, screened_case, submit_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def permit(db, officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    case = approve(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    return Permit.objects.get(case=case)


def test_officer_starts_an_amendment_as_a_linked_draft(permit, officer):
    draft = permit_amendment_start(permit=permit, actor=officer, kind="amendment")
    draft.refresh_from_db()
    assert (draft.status, draft.kind, draft.amends_permit) == (CaseStatus.DRAFT, CaseKind.AMENDMENT, permit)
    assert draft.copied_from == permit.case and draft.reference != permit.case.reference
    assert [i.description for i in draft.items.all()] == [i.description for i in permit.case.items.all()]
    events = AuditEvent.objects.filter(verb="permit.amendment_started")
    assert {e.case_id for e in events} == {draft.pk, permit.case_id}
    assert list(permit.amendments.all()) == [draft]


def test_only_the_holders_officers_start_one(permit, other_officer, reviewer):
    for actor in (other_officer, reviewer):
        with pytest.raises(PermissionDenied):
            permit_amendment_start(permit=permit, actor=actor, kind="extension")
    assert Case.objects.count() == 1


def test_refusals_change_nothing(permit, officer):
    with pytest.raises(ValidationError, match="amendment or extension"):
        permit_amendment_start(permit=permit, actor=officer, kind="new")
    permit_amendment_start(permit=permit, actor=officer, kind="amendment")
    with pytest.raises(ValidationError, match="already has an amendment or extension under way"):
        permit_amendment_start(permit=permit, actor=officer, kind="extension")
    assert Case.objects.count() == 2


def test_extension_needs_a_permit_in_force(permit, officer, reviewer):
    permit = permit_transition(permit=permit, action="suspend", actor=reviewer, reason="Inquiry.")
    with pytest.raises(ValidationError, match="only a permit in force is extended"):
        permit_amendment_start(permit=permit, actor=officer, kind="extension")
    # A suspended permit may still be amended (e.g. to correct what the suspension was about).
    permit_amendment_start(permit=permit, actor=officer, kind="amendment")
    permit = permit_transition(permit=permit, action="revoke", actor=reviewer, reason="Breach.")
    with pytest.raises(ValidationError, match="can no longer be amended"):
        permit_amendment_start(permit=permit, actor=officer, kind="amendment")


def test_extension_refused_when_the_licence_type_allows_none(permit, officer):
    LicenceType.objects.filter(code="single").update(extensions=0)
    with pytest.raises(ValidationError, match="may be extended 0 time"):
        permit_amendment_start(permit=permit, actor=officer, kind="extension")
    assert Case.objects.count() == 1


def test_approved_extension_supersedes_the_old_permit_and_the_count_is_used_up(
    permit, officer, reviewer, django_capture_on_commit_callbacks
):
    draft = permit_amendment_start(permit=permit, actor=officer, kind="extension")
    case = approve(submit_copy(draft, officer, django_capture_on_commit_callbacks), reviewer)
    new = Permit.objects.get(case=case)
    permit.refresh_from_db()
    assert permit.status == PermitStatus.SUPERSEDED
    assert permit.status_reason == f"Superseded by permit {new.number}."
    assert new.status == PermitStatus.ISSUED and new.case.amends_permit == permit
    event = AuditEvent.objects.get(verb="permit.supersede")
    assert event.actor is None and event.case_id == permit.case_id
    # The Chinese single licence allows one extension, and the chain has used it.
    with pytest.raises(ValidationError, match="may be extended 1 time\\(s\\); permit .* has used 1"):
        permit_amendment_start(permit=new, actor=officer, kind="extension")
    # An amendment of the extended permit is still possible.
    permit_amendment_start(permit=new, actor=officer, kind="amendment")


def test_the_case_page_links_an_amendment_only_for_readers_who_may_open_it(
    permit, officer, reviewer, django_capture_on_commit_callbacks
):
    from django.test import Client

    def page(user, reference):
        client = Client()
        client.force_login(user)
        return client.get(f"/cases/{reference}/", secure=True)

    draft = permit_amendment_start(permit=permit, actor=officer, kind="amendment")
    link = f'<a href="/cases/{draft.reference}/">{draft.reference}</a>'
    assert link in page(officer, permit.case.reference).content.decode()
    # The authority does not see a draft: its reference is shown, not a link to a page that answers 404.
    seen = page(reviewer, permit.case.reference).content.decode()
    assert draft.reference in seen and link not in seen
    assert page(reviewer, draft.reference).status_code == 404
    submit_copy(draft, officer, django_capture_on_commit_callbacks)
    assert link in page(reviewer, permit.case.reference).content.decode()
    assert page(reviewer, draft.reference).status_code == 200
