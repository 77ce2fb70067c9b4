"""A transition writes the case's row with an UPDATE whose SQL is written once per set of fields it sets: the same
statement, with the same values, the ORM's update sent, and of two transitions from one version only one wins."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.db.models.functions import Now
from django.utils import timezone

from cases.casedoc import case_document
from cases.models import Case
from cases.selectors import with_facts
from cases.services import case_submit
from cases.vocab import CaseStatus
from cases.workflow import CaseChanged, _update_if_unchanged, case_transition

from .factories import make_case
from .statements import Sent

pytestmark = pytest.mark.django_db


def test_the_update_is_the_orms_statement_with_the_orms_values(officer):
    ours, theirs = make_case(officer, with_certificate=False), make_case(officer, with_certificate=False)
    now = timezone.now()
    submitted = now - timedelta(seconds=5)
    sent = Sent()
    with connection.execute_wrapper(sent):
        assert (
            _update_if_unchanged(ours, status=CaseStatus.SUBMITTED, updated_at=now, changes={"submitted_at": submitted})
            == 1
        )
        assert (
            Case.objects.filter(pk=theirs.pk, status=theirs.status, version=theirs.version).update(
                status=CaseStatus.SUBMITTED, version=F("version") + 1, updated_at=now, submitted_at=submitted
            )
            == 1
        )
    (our_sql, our_params), (their_sql, their_params) = sent.statements
    assert our_sql == their_sql
    assert our_params[:4] == their_params[:4] and our_params[5:] == their_params[5:]
    assert (our_params[4], their_params[4]) == (ours.pk, theirs.pk)
    for case in (ours, theirs):
        stored = Case.objects.get(pk=case.pk)
        assert (stored.status, stored.version, stored.updated_at, stored.submitted_at) == (
            CaseStatus.SUBMITTED,
            case.version + 1,
            now,
            submitted,
        )


def test_an_update_from_a_version_since_moved_on_writes_nothing(officer):
    case = make_case(officer)
    stale = Case.objects.get(pk=case.pk)
    case_transition(case=case, action="withdraw", actor=officer)
    with pytest.raises(CaseChanged):
        case_transition(case=stale, action="submit", actor=officer, submitted_at=timezone.now())
    stored = Case.objects.get(pk=case.pk)
    assert (stored.status, stored.version, stored.submitted_at) == (CaseStatus.WITHDRAWN, case.version, None)


def test_a_value_that_is_an_expression_is_written_by_the_orm(officer):
    case = make_case(officer, with_certificate=False)
    assert (
        _update_if_unchanged(
            case, status=CaseStatus.SUBMITTED, updated_at=timezone.now(), changes={"submitted_at": Now()}
        )
        == 1
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.status == CaseStatus.SUBMITTED and stored.submitted_at is not None


def test_a_submitted_case_keeps_the_facts_it_was_submitted_with(officer, django_assert_num_queries):
    case = case_submit(case=Case.objects.get(pk=make_case(officer).pk), actor=officer)
    with django_assert_num_queries(0):
        document = case_document(case)
        assert [d.doc_type for d in case.documents.all()] == ["end_user_certificate"]
    assert document == case_document(with_facts(Case.objects.filter(pk=case.pk)).get())
