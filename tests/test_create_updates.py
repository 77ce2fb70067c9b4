"""config.compiled_writes.CompiledUpdate changes what QuerySet.update would, with its SQL compiled once; and a
document's upload or removal moves its case's version on through it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.roles import Role
from cases.models import Case
from cases.services import case_add_document, case_remove_document
from cases.vocab import DocumentType
from config.compiled_writes import CompiledUpdate

from .factories import PDF_BYTES, make_case, make_organisation, make_user

pytestmark = pytest.mark.django_db

PLACEHOLDER_TIME = datetime(1, 1, 1, tzinfo=UTC)


@pytest.fixture
def officer():
    return make_user(Role.OFFICER, organisation=make_organisation())


def bump() -> CompiledUpdate:
    return CompiledUpdate(
        lambda pk, now: (Case.objects.filter(pk=pk), {"version": F("version") + 1, "updated_at": now}),
        pk=-1,
        now=PLACEHOLDER_TIME,
    )


def test_changes_what_update_changes(officer):
    ours, django, other = (make_case(officer, with_certificate=False) for _ in range(3))
    update = bump()
    when = timezone.now() + timedelta(days=1)
    for _ in range(2):
        assert update.run(pk=ours.pk, now=when) == 1
        Case.objects.filter(pk=django.pk).update(version=F("version") + 1, updated_at=when)
    ours.refresh_from_db(), django.refresh_from_db()
    assert (ours.version, ours.updated_at) == (django.version, django.updated_at) == (3, when)
    assert Case.objects.get(pk=other.pk).version == 1
    # No such row: nothing changed, and the count says so.
    assert update.run(pk=-5, now=when) == 0


def test_one_statement_per_run(officer):
    case = make_case(officer, with_certificate=False)
    update = bump()
    update.run(pk=case.pk, now=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        update.run(pk=case.pk, now=timezone.now())
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")


def test_a_placeholder_missing_from_the_statement_is_refused():
    update = CompiledUpdate(lambda pk, other: (Case.objects.filter(pk=5), {"version": pk}), pk=-1, other=-2)
    with pytest.raises(ValueError):
        update.run(pk=1, other=2)


def test_a_sliced_update_is_refused(officer):
    update = CompiledUpdate(lambda pk: (Case.objects.filter(pk=pk).order_by("pk")[:1], {"version": 2}), pk=-1)
    with pytest.raises(TypeError):
        update.run(pk=1)


def test_upload_and_removal_move_the_version_on(officer):
    case = make_case(officer, with_certificate=False)
    before = Case.objects.get(pk=case.pk).updated_at
    document = case_add_document(
        case=case,
        actor=officer,
        doc_type=DocumentType.END_USER_CERTIFICATE,
        upload=SimpleUploadedFile("euc.pdf", PDF_BYTES, content_type="application/pdf"),
    )
    stored = Case.objects.get(pk=case.pk)
    assert stored.version == 2 and stored.updated_at > before
    case_remove_document(case=stored, actor=officer, document=document)
    assert Case.objects.get(pk=case.pk).version == 3
