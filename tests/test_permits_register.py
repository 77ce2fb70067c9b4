"""The public verification page and the permit register: who sees which permits, and what the public sees."""

from datetime import date

import pytest
from django.http import Http404

from permits.selectors import permit_get_for_user, permit_register
from permits.workflow import permit_transition

from .factories import item_data
from .permit_helpers import issue, load_rules, screened_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def permits(db, officer, other_officer, reviewer, django_capture_on_commit_callbacks):
    load_rules()
    mine = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    theirs = issue(
        screened_case(
            other_officer,
            django_capture_on_commit_callbacks,
            destination_country="FR",
            items=[item_data(control_code="1C906")],
        ),
        reviewer,
        valid_from=date(2026, 6, 1),
        validity_days=30,
    )
    return mine, theirs


def test_verification_confirms_number_status_and_validity_only(client, permits, reviewer):
    mine, _ = permits
    permit_transition(permit=mine, action="suspend", actor=reviewer, reason="Confidential investigation detail.")
    response = client.get(f"/verify/{mine.number}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.number in page and 'data-status="suspended"' in page and "Suspended" in page
    assert "2026-01-01" in page and "2026-12-31" in page
    for secret in (
        mine.organisation.name,
        mine.case.reference,
        mine.end_user_name,
        "Confidential investigation",
        "NdFeB",
        "1C905",
    ):
        assert secret not in page


def test_verification_of_an_unknown_number_is_404(client, permits):
    response = client.get("/verify/PRM-1999-000001/")
    assert response.status_code == 404
    assert "No permit with the number PRM-1999-000001 was issued." in response.content.decode()
    assert client.post(f"/verify/{permits[0].number}/").status_code == 405


def test_register_shows_each_user_what_they_may_see(permits, officer, other_officer, reviewer, auditor, rule_admin):
    mine, theirs = permits
    assert list(permit_register(user=officer)) == [mine]
    assert list(permit_register(user=other_officer)) == [theirs]
    for user in (reviewer, auditor):
        assert set(permit_register(user=user)) == {mine, theirs}
    assert list(permit_register(user=rule_admin)) == []
    assert permit_get_for_user(user=officer, number=mine.number) == mine
    with pytest.raises(Http404):
        permit_get_for_user(user=officer, number=theirs.number)


def test_register_filters(permits, reviewer):
    mine, theirs = permits
    permit_transition(permit=mine, action="revoke", actor=reviewer, reason="False end-use statement.")

    def numbers(**filters):
        return {p.number for p in permit_register(user=reviewer, **filters)}

    assert numbers(status="revoked") == {mine.number}
    assert numbers(status="issued") == {theirs.number}
    assert numbers(organisation_id=theirs.organisation_id) == {theirs.number}
    assert numbers(destination="fr") == {theirs.number}
    assert numbers(control_code="1c906") == {theirs.number}
    assert numbers(control_code="1C905.a") == {mine.number}
    assert numbers(valid_on=date(2026, 3, 1)) == {mine.number}
    assert numbers(valid_on=date(2026, 6, 30)) == {mine.number, theirs.number}
    assert numbers(valid_on=date(2026, 7, 1)) == {mine.number}
    assert numbers(search=theirs.case.reference) == {theirs.number}
    assert numbers(search=mine.number.lower()) == {mine.number}
    assert numbers() == {mine.number, theirs.number}
