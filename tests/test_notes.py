"""Notes on a case: who may write which kind, who reads which, the audit, the API and the case page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.services import case_submit
from review.models import CaseNote
from review.selectors import case_notes_for
from review.services import case_note_add

from .factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(officer):
    # Submitted is enough for notes: the screening queued on commit never runs inside the test's transaction.
    return case_submit(case=make_case(officer), actor=officer)


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_reviewer_writes_both_kinds_and_each_is_audited(submitted, reviewer):
    internal = case_note_add(case=submitted, actor=reviewer, text="  Check the owners.  ", visibility="internal")
    shared = case_note_add(case=submitted, actor=reviewer, text="Please send the contract.", visibility="applicant")
    assert internal.text == "Check the owners."
    events = AuditEvent.objects.filter(case=submitted, verb="case.note_added").order_by("id")
    assert [e.after["visibility"] for e in events] == ["internal", "applicant"]
    assert [e.target_id for e in events] == [str(internal.pk), str(shared.pk)]
    # The timeline shows messages to every reader of the case: the note's text stays out of it.
    assert all(e.message == "" for e in events)


def test_officer_writes_applicant_notes_only(submitted, officer):
    note = case_note_add(case=submitted, actor=officer, text="Contract attached.", visibility="applicant")
    assert note.author == officer
    with pytest.raises(PermissionDenied):
        case_note_add(case=submitted, actor=officer, text="Secret", visibility="internal")
    assert CaseNote.objects.count() == 1


def test_outsiders_write_nothing(submitted, other_officer, auditor, rule_admin):
    for user in (other_officer, auditor, rule_admin):
        with pytest.raises(PermissionDenied):
            case_note_add(case=submitted, actor=user, text="Hello", visibility="applicant")
    assert not CaseNote.objects.exists()
    assert not AuditEvent.objects.filter(verb="case.note_added").exists()


def test_bad_notes_are_refused_by_field(submitted, reviewer, officer):
    with pytest.raises(ValidationError) as error:
        case_note_add(case=submitted, actor=reviewer, text="   ", visibility="internal")
    assert "text" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        case_note_add(case=submitted, actor=reviewer, text="x", visibility="public")
    assert "visibility" in error.value.message_dict
    draft = make_case(officer)
    with pytest.raises(ValidationError):
        case_note_add(case=draft, actor=officer, text="Too early", visibility="applicant")
    assert not CaseNote.objects.exists()


def test_officers_never_read_internal_notes(submitted, officer, other_officer, reviewer, senior_reviewer, auditor):
    case_note_add(case=submitted, actor=reviewer, text="Internal view", visibility="internal")
    case_note_add(case=submitted, actor=reviewer, text="Question for you", visibility="applicant")
    case_note_add(case=submitted, actor=officer, text="Our answer", visibility="applicant")
    everything = ["Internal view", "Question for you", "Our answer"]
    for staff in (reviewer, senior_reviewer, auditor):
        assert [n.text for n in case_notes_for(case=submitted, user=staff)] == everything
    assert [n.text for n in case_notes_for(case=submitted, user=officer)] == ["Question for you", "Our answer"]
    assert list(case_notes_for(case=submitted, user=other_officer)) == []


def test_api_lists_and_writes_notes(submitted, officer, other_officer, reviewer):
    url = f"/api/v1/cases/{submitted.reference}/notes"
    response = api(reviewer).post(url, {"text": "Internal", "visibility": "internal"}, format="json")
    assert response.status_code == 201 and response.json()["visibility"] == "internal"
    response = api(officer).post(url, {"text": "From us", "visibility": "applicant"}, format="json")
    assert response.status_code == 201 and response.json()["author"] == str(officer)
    assert api(officer).post(url, {"text": "Hidden", "visibility": "internal"}, format="json").status_code == 403
    response = api(officer).post(url, {"text": "", "visibility": "nope"}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) == {"text", "visibility"}
    assert [n["text"] for n in api(officer).get(url).json()] == ["From us"]
    assert [n["text"] for n in api(reviewer).get(url).json()] == ["Internal", "From us"]
    assert api(other_officer).get(url).status_code == 404
    assert api(other_officer).post(url, {"text": "x", "visibility": "applicant"}, format="json").status_code == 404
    assert APIClient().get(url).status_code in (401, 403)
    assert CaseNote.objects.count() == 2
