"""Requests for information: who may ask, answer and cancel; what each writes, mails and refuses; reminders and
lapses; the pages and the API."""

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from audit.models import AuditEvent
from cases.models import Case, Document
from cases.services import case_submit
from cases.vocab import CaseStatus
from cases.workflow import TransitionNotAllowed
from review.services import case_claim
from rfis.models import InformationRequest, InformationResponse
from rfis.services import (
    Attachment,
    RequestClosed,
    information_request_answer,
    information_request_cancel,
    information_request_open,
    information_requests_lapse,
    information_requests_remind,
)
from rfis.tasks import lapse_information_requests, remind_information_requests
from timelimits.models import CaseClock, HolidayCalendar
from timelimits.services import calendar_dates
from timelimits.workdays import add_working_days, working_days_between

from .factories import PDF_BYTES, make_case, make_user

pytestmark = pytest.mark.django_db

TODAY = date(2025, 6, 2)  # a Monday
DEADLINE = date(2025, 6, 20)  # a Friday


def pdf(name: str = "spec.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def in_review(officer, reviewer, django_capture_on_commit_callbacks):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        case = case_submit(case=make_case(officer), actor=officer)
    case.refresh_from_db()
    return case_claim(case=case, actor=reviewer)


@pytest.fixture
def asked(in_review, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        request = information_request_open(
            case=in_review,
            actor=reviewer,
            questions="Which motor model are the magnets for?",
            standard_codes=["end-user-statement"],
            deadline=DEADLINE,
            today=TODAY,
        )
    mail.outbox.clear()
    return request


def written(case: Case) -> tuple:
    case.refresh_from_db()
    return (
        case.status,
        case.version,
        InformationRequest.objects.count(),
        InformationResponse.objects.count(),
        Document.objects.filter(case=case).count(),
        AuditEvent.objects.count(),
    )


def test_the_holder_asks_the_case_waits_the_clock_stops_and_the_officers_are_mailed(
    in_review, officer, other_officer, reviewer, org, django_capture_on_commit_callbacks
):
    colleague = make_user(Role.OFFICER, organisation=org)
    with django_capture_on_commit_callbacks(execute=True):
        request = information_request_open(
            case=in_review,
            actor=reviewer,
            questions="Which motor model?",
            standard_codes=["end-user-statement", "re-export-assurance"],
            deadline=DEADLINE,
            today=TODAY,
        )
    assert request.status == "open" and request.case.status == CaseStatus.INFORMATION_REQUESTED
    assert [q["code"] for q in request.standard_questions] == ["end-user-statement", "re-export-assurance"]
    assert "signed by the end user" in request.standard_questions[0]["text"]
    assert CaseClock.objects.get(case=in_review).paused_since == timezone.localdate()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([officer.email, colleague.email])
    assert other_officer.email not in {m.to[0] for m in mail.outbox}
    assert "Which motor model?" in mail.outbox[0].body and "signed by the end user" in mail.outbox[0].body
    assert in_review.reference in mail.outbox[0].subject
    verbs = list(AuditEvent.objects.filter(case=in_review).values_list("verb", flat=True))
    assert verbs[-2:] == ["case.request_information", "information_request.opened"]


def test_only_the_holder_may_ask_and_a_refusal_writes_nothing(in_review, officer, senior_reviewer):
    others = [make_user(Role.REVIEWER), senior_reviewer, officer]
    before = written(in_review)
    for someone in others:
        with pytest.raises(PermissionDenied):
            information_request_open(
                case=in_review, actor=someone, questions="Why?", standard_codes=[], deadline=DEADLINE, today=TODAY
            )
    assert written(in_review) == before and not mail.outbox


@pytest.mark.parametrize(
    ("questions", "codes", "deadline", "field"),
    [
        ("", [], DEADLINE, "questions"),
        ("Why?", ["no-such-question"], DEADLINE, "standard_codes"),
        ("Why?", [], TODAY, "deadline"),
        ("Why?", [], None, "deadline"),
    ],
)
def test_bad_requests_are_refused_by_field_and_write_nothing(in_review, reviewer, questions, codes, deadline, field):
    before = written(in_review)
    with pytest.raises(ValidationError) as refused:
        information_request_open(
            case=in_review, actor=reviewer, questions=questions, standard_codes=codes, deadline=deadline, today=TODAY
        )
    assert field in refused.value.message_dict
    assert written(in_review) == before


def test_a_retired_standard_question_cannot_be_asked(in_review, reviewer):
    from rfis.models import StandardQuestion

    StandardQuestion.objects.filter(code="contract").update(active=False)
    with pytest.raises(ValidationError, match="retired"):
        information_request_open(
            case=in_review, actor=reviewer, questions="", standard_codes=["contract"], deadline=DEADLINE, today=TODAY
        )


def test_only_a_case_in_review_can_be_asked(asked, reviewer):
    with pytest.raises(TransitionNotAllowed):
        information_request_open(
            case=asked.case, actor=reviewer, questions="More?", standard_codes=[], deadline=DEADLINE, today=TODAY
        )
    assert InformationRequest.objects.count() == 1


def test_an_officer_answers_with_documents_the_case_returns_to_review_and_the_reviewer_is_mailed(
    asked, officer, reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = information_request_answer(
            request=asked,
            actor=officer,
            text="The magnets are for the XM-200 traction motor.",
            attachments=[Attachment(upload=pdf(), doc_type="technical_description"), Attachment(upload=pdf("euc.pdf"))],
        )
    asked.refresh_from_db()
    assert asked.status == "answered" and asked.closed_by == officer and asked.case.status == CaseStatus.IN_REVIEW
    documents = [a.document for a in response.attachments.all()]
    assert [(d.original_name, d.doc_type, d.case_id) for d in documents] == [
        ("spec.pdf", "technical_description", asked.case_id),
        ("euc.pdf", "other", asked.case_id),
    ]
    assert all(d.content_type == "application/pdf" and d.file.storage.exists(d.file.name) for d in documents)
    assert [m.to for m in mail.outbox] == [[reviewer.email]]
    assert CaseClock.objects.get(case=asked.case).paused_since is None
    event = AuditEvent.objects.get(verb="information_request.answered")
    assert event.actor == officer and [d["name"] for d in event.after["documents"]] == ["spec.pdf", "euc.pdf"]


def test_an_attachment_must_pass_the_upload_checks_and_nothing_is_written_or_stored(asked, officer, settings):
    before = written(asked.case)
    stored = sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file())
    disguised = SimpleUploadedFile("spec.docx", PDF_BYTES)
    program = SimpleUploadedFile("tool.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200))
    with pytest.raises(ValidationError) as refused:
        information_request_answer(
            request=asked,
            actor=officer,
            text="Here.",
            attachments=[Attachment(upload=pdf()), Attachment(upload=disguised), Attachment(upload=program)],
        )
    errors = refused.value.message_dict
    assert set(errors) == {"attachments[1].file", "attachments[2].file"}
    assert "name ends in '.docx'" in errors["attachments[1].file"][0]
    assert written(asked.case) == before
    assert sorted(p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()) == stored
    assert InformationRequest.objects.get().status == "open"


def test_an_answer_needs_text(asked, officer):
    with pytest.raises(ValidationError) as refused:
        information_request_answer(request=asked, actor=officer, text="  ", attachments=[])
    assert list(refused.value.message_dict) == ["text"]


def test_only_the_case_officers_may_answer_and_only_once(asked, officer, other_officer, reviewer):
    before = written(asked.case)
    for someone in (other_officer, reviewer):
        with pytest.raises(PermissionDenied):
            information_request_answer(request=asked, actor=someone, text="Here.")
    assert written(asked.case) == before
    information_request_answer(request=asked, actor=officer, text="Here.")
    with pytest.raises(RequestClosed):
        information_request_answer(request=asked, actor=officer, text="Again.")
    assert InformationResponse.objects.count() == 1


def test_the_holder_or_a_senior_may_cancel(asked, officer, reviewer, django_capture_on_commit_callbacks):
    others = [make_user(Role.REVIEWER), officer]
    before = written(asked.case)
    for someone in others:
        with pytest.raises(PermissionDenied):
            information_request_cancel(request=asked, actor=someone)
    assert written(asked.case) == before
    with django_capture_on_commit_callbacks(execute=True):
        information_request_cancel(request=asked, actor=reviewer, reason="Found it in the contract.")
    asked.refresh_from_db()
    assert asked.status == "cancelled" and asked.closing_note == "Found it in the contract."
    assert asked.case.status == CaseStatus.IN_REVIEW
    assert [m.to for m in mail.outbox] == [[officer.email]]
    with pytest.raises(RequestClosed):
        information_request_answer(request=asked, actor=officer, text="Late.")


def test_a_reminder_is_sent_once_three_working_days_before_the_deadline(
    asked, officer, django_capture_on_commit_callbacks
):
    # Deadline Friday 20 June 2025: three working days before is Tuesday 17 June.
    with django_capture_on_commit_callbacks(execute=True):
        assert information_requests_remind(today=date(2025, 6, 16)) == 0
    assert not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        assert information_requests_remind(today=date(2025, 6, 17)) == 1
        assert information_requests_remind(today=date(2025, 6, 17)) == 0
        assert information_requests_remind(today=date(2025, 6, 19)) == 0
    assert [m.to for m in mail.outbox] == [[officer.email]] and "Reminder" in mail.outbox[0].subject
    asked.refresh_from_db()
    assert asked.reminder_sent_at is not None


def test_the_reminder_counts_working_days_of_the_calendar(in_review, reviewer, django_capture_on_commit_callbacks):
    # Deadline Thursday 9 October 2025, after the National Day week: three working days before is Sunday 28
    # September, a make-up working day.
    dates = calendar_dates(HolidayCalendar.objects.get(code="CN"))
    assert add_working_days(date(2025, 10, 9), -3, **dates) == date(2025, 9, 28)
    information_request_open(
        case=in_review, actor=reviewer, questions="?", deadline=date(2025, 10, 9), today=date(2025, 9, 20)
    )
    assert information_requests_remind(today=date(2025, 9, 27)) == 0
    assert information_requests_remind(today=date(2025, 9, 28)) == 1


def test_an_unanswered_request_lapses_after_the_grace_period_and_closes_the_case(
    asked, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert information_requests_lapse(today=DEADLINE + timedelta(days=10)) == 0
    assert not mail.outbox and InformationRequest.objects.get().status == "open"
    with django_capture_on_commit_callbacks(execute=True):
        assert information_requests_lapse(today=DEADLINE + timedelta(days=11)) == 1
        assert information_requests_lapse(today=DEADLINE + timedelta(days=12)) == 0
    asked.refresh_from_db()
    case = Case.objects.get(pk=asked.case_id)
    assert asked.status == "lapsed" and case.status == CaseStatus.CLOSED
    close = AuditEvent.objects.get(case=case, verb="case.close")
    assert close.actor is None and close.actor_name == "system" and "2025-06-20" in close.message
    assert [m.to for m in mail.outbox] == [[officer.email]] and "closed" in mail.outbox[0].subject
    assert CaseClock.objects.get(case=case).stopped_on is not None
    with pytest.raises(RequestClosed):
        information_request_answer(request=asked, actor=officer, text="Too late.")


@pytest.mark.parametrize("how", ["withdraw", "close"])
def test_a_case_withdrawn_or_closed_takes_its_open_request_with_it(asked, officer, senior_reviewer, how):
    from cases.services import case_withdraw
    from cases.workflow import case_transition

    if how == "withdraw":
        case_withdraw(case=asked.case, actor=officer, reason="No longer needed.")
    else:
        case_transition(case=asked.case, action="close", actor=senior_reviewer, message="Duplicate.")
    asked.refresh_from_db()
    assert asked.status == "cancelled" and asked.closing_note.startswith("The case was")
    assert information_requests_remind(today=DEADLINE) == 0
    assert information_requests_lapse(today=DEADLINE + timedelta(days=30)) == 0
    assert AuditEvent.objects.filter(verb="information_request.cancelled", case=asked.case).count() == 1


def test_the_tasks_call_the_services_with_today_and_repeat_harmlessly(asked):
    # The request's deadline (June 2025) is long past by the system's today: reminded once, then lapsed once.
    assert remind_information_requests.delay().get() == 1
    assert lapse_information_requests.delay().get() == 1
    assert (remind_information_requests.delay().get(), lapse_information_requests.delay().get()) == (0, 0)
    assert Case.objects.get(pk=asked.case_id).status == CaseStatus.CLOSED


def test_the_clock_is_moved_by_the_working_days_the_request_was_open(asked, officer):
    dates = calendar_dates(HolidayCalendar.objects.get(code="CN"))
    clock = CaseClock.objects.get(case=asked.case)
    # The request went out on a known Monday; the clock started a week before.
    asked_on = date(2025, 9, 22)
    CaseClock.objects.filter(pk=clock.pk).update(started_on=date(2025, 9, 15), paused_since=asked_on)
    information_request_answer(request=asked, actor=officer, text="Here.")
    clock.refresh_from_db()
    paused = working_days_between(asked_on, timezone.localdate(), **dates)
    assert clock.paused_working_days == paused
    assert clock.due_on == add_working_days(date(2025, 9, 15), 45 + paused, **dates)


# --- API -------------------------------------------------------------------------------------------------------


def api_list(case: Case) -> str:
    return f"/api/v1/cases/{case.reference}/information-requests"


def test_api_open_list_answer_and_read(in_review, officer, reviewer):
    deadline = (timezone.localdate() + timedelta(days=15)).isoformat()
    body = {"questions": "Which motor?", "standard_codes": ["technical-specification"], "deadline": deadline}
    response = client_for(reviewer).post(api_list(in_review), body, format="json")
    assert response.status_code == 201, response.json()
    opened = response.json()
    assert opened["status"] == "open" and opened["standard_questions"][0]["code"] == "technical-specification"
    listed = client_for(officer).get(api_list(in_review)).json()
    assert [r["id"] for r in listed] == [opened["id"]]
    answer = f"/api/v1/information-requests/{opened['id']}/answer"
    response = client_for(officer).post(
        answer, {"text": "XM-200.", "doc_type": "technical_description", "files": [pdf(), pdf("b.pdf")]}
    )
    assert response.status_code == 200, response.json()
    answered = response.json()
    assert answered["status"] == "answered" and answered["response"]["text"] == "XM-200."
    assert [a["name"] for a in answered["response"]["attachments"]] == ["spec.pdf", "b.pdf"]
    download = client_for(reviewer).get(answered["response"]["attachments"][0]["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert client_for(officer).post(answer, {"text": "Again"}, format="json").status_code == 409


def test_api_400s_are_keyed_by_field_path(in_review, officer, reviewer):
    response = client_for(reviewer).post(
        api_list(in_review), {"questions": "", "standard_codes": ["nope"], "deadline": "2000-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"standard_codes", "deadline"}
    future = (timezone.localdate() + timedelta(days=15)).isoformat()
    response = client_for(reviewer).post(api_list(in_review), {"questions": " ", "deadline": future}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["questions"]
    response = client_for(reviewer).post(api_list(in_review), {"standard_codes": "x"}, format="json")
    assert response.status_code == 400 and set(response.json()["errors"]) >= {"deadline", "standard_codes"}
    deadline = (timezone.localdate() + timedelta(days=15)).isoformat()
    opened = client_for(reviewer).post(api_list(in_review), {"questions": "?", "deadline": deadline}, format="json")
    answer = f"/api/v1/information-requests/{opened.json()['id']}/answer"
    bad = SimpleUploadedFile("spec.docx", PDF_BYTES)
    response = client_for(officer).post(answer, {"text": "", "files": [pdf(), bad]})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"text", "attachments[1].file"}
    assert (
        InformationRequest.objects.get().status == "open"
        and not Document.objects.filter(rfi_attachment__isnull=False).exists()
    )


def test_api_404_across_organisations_and_403_for_the_wrong_reviewer(asked, other_officer, auditor, officer):
    deadline = (timezone.localdate() + timedelta(days=15)).isoformat()
    answer = f"/api/v1/information-requests/{asked.pk}/answer"
    for outsider in (other_officer, auditor):
        client = client_for(outsider)
        assert client.get(api_list(asked.case)).status_code == 404
        assert client.get(f"/api/v1/information-requests/{asked.pk}").status_code == 404
        assert client.post(answer, {"text": "Mine."}, format="json").status_code == 404
    assert (
        client_for(other_officer).post(api_list(asked.case), {"deadline": deadline}, format="json").status_code == 404
    )
    assert (
        client_for(make_user(Role.REVIEWER))
        .post(f"/api/v1/information-requests/{asked.pk}/cancel", {}, format="json")
        .status_code
        == 403
    )
    assert client_for(officer).get(f"/api/v1/information-requests/{asked.pk + 1000}").status_code == 404
    assert InformationRequest.objects.get().status == "open"


def test_someone_elses_request_answers_on_the_api_exactly_like_one_that_does_not_exist(asked, other_officer):
    # Ids are sequential: a different message for a taken id would tell an outsider that it is taken.
    client = client_for(other_officer)
    theirs = client.get(f"/api/v1/information-requests/{asked.pk}")
    missing = client.get(f"/api/v1/information-requests/{asked.pk + 1000}")
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()


def test_api_list_queries_do_not_grow_with_requests(in_review, officer, reviewer, django_assert_max_num_queries):
    for n in range(3):
        request = information_request_open(
            case=Case.objects.get(pk=in_review.pk),
            actor=reviewer,
            questions=f"Question {n}",
            deadline=DEADLINE,
            today=TODAY,
        )
        information_request_answer(
            request=request, actor=officer, text="Answer", attachments=[Attachment(upload=pdf())]
        )
    client = client_for(officer)
    client.get(api_list(in_review))  # warm the session's user and roles
    with django_assert_max_num_queries(8):
        listed = client.get(api_list(in_review)).json()
    assert len(listed) == 3 and all(len(r["response"]["attachments"]) == 1 for r in listed)


# --- Pages -----------------------------------------------------------------------------------------------------


def login(client, user):
    client.force_login(user)
    return client


def test_the_reviewer_asks_through_the_page(client, in_review, reviewer):
    login(client, reviewer)
    url = f"/cases/{in_review.reference}/information-requests/new/"
    page = client.get(url)
    default = (timezone.localdate() + timedelta(days=20)).isoformat()
    assert page.status_code == 200 and default in page.text and "Rare-earth content breakdown" in page.text
    page = client.post(url, {"questions": "", "deadline": default})
    assert page.status_code == 200 and "Ask at least one question" in page.text
    page = client.post(url, {"standard_codes": ["rare-earth-content"], "deadline": default}, follow=True)
    request = InformationRequest.objects.get()
    assert page.redirect_chain[-1][0] == f"/cases/{in_review.reference}/information-requests/{request.pk}/"
    assert "mass fraction" in page.text


def test_the_officer_answers_through_the_page_and_outsiders_get_404(client, asked, officer, other_officer, auditor):
    url = f"/cases/{asked.case.reference}/information-requests/{asked.pk}/"
    for outsider in (other_officer, auditor):
        login(client, outsider)
        assert client.get(url).status_code == 404
        assert client.get(f"/cases/{asked.case.reference}/information-requests/new/").status_code == 404
    login(client, officer)
    page = client.get(url)
    assert page.status_code == 200 and "Which motor model" in page.text and "Send the answer" in page.text
    page = client.post(url, {"text": "Here.", "doc_type": "other", "files": [SimpleUploadedFile("a.docx", PDF_BYTES)]})
    assert page.status_code == 200 and "name ends in" in page.text
    assert InformationRequest.objects.get().status == "open"
    page = client.post(url, {"text": "XM-200.", "doc_type": "other", "files": [pdf(), pdf("b.pdf")]}, follow=True)
    assert "XM-200." in page.text and "b.pdf" in page.text and "Send the answer" not in page.text
    assert InformationRequest.objects.get().status == "answered"


def test_the_wrong_reviewer_cannot_ask_or_cancel_through_the_pages(client, asked, officer):
    login(client, officer)
    assert client.get(f"/cases/{asked.case.reference}/information-requests/new/").status_code == 403
    login(client, make_user(Role.REVIEWER))
    assert client.get(f"/cases/{asked.case.reference}/information-requests/new/").status_code == 403
    page = client.post(
        f"/cases/{asked.case.reference}/information-requests/new/", {"questions": "?", "deadline": "2099-01-01"}
    )
    assert page.status_code == 403
    assert client.post(f"/cases/{asked.case.reference}/information-requests/{asked.pk}/cancel/").status_code == 403
    page = client.get(f"/cases/{asked.case.reference}/information-requests/{asked.pk}/")
    assert page.status_code == 200 and "Withdraw the request" not in page.text
    assert InformationRequest.objects.get().status == "open"


def test_the_case_requests_include_renders_for_reviewers_and_officers_only(asked, reviewer, officer, auditor):
    from django.template.loader import render_to_string

    from rfis.selectors import information_requests_for_case

    context = {"case": asked.case, "information_requests": information_requests_for_case(case=asked.case)}
    html = render_to_string("rfis/_case_requests.html", {**context, "user": reviewer, "user_roles": {"reviewer": True}})
    assert f"/information-requests/{asked.pk}/" in html and "Open" in html
    html = render_to_string("rfis/_case_requests.html", {**context, "user": officer, "user_roles": {}})
    assert f"/information-requests/{asked.pk}/" in html
    html = render_to_string("rfis/_case_requests.html", {**context, "user": auditor, "user_roles": {"auditor": True}})
    assert "Requests for information" not in html


def test_the_case_page_tag_shows_requests_to_the_holder_with_the_button_and_hides_them_from_outsiders(
    in_review, reviewer, other_officer, auditor, officer
):
    from django.template import Context, Template

    page = Template("{% load rfis %}{% case_information_requests case %}")
    html = page.render(Context({"case": in_review, "user": reviewer}))
    assert "No information has been requested" in html and "/information-requests/new/" in html
    html = page.render(Context({"case": in_review, "user": officer}))
    assert "Requests for information" in html and "/information-requests/new/" not in html
    for outsider in (other_officer, auditor):
        assert "Requests for information" not in page.render(Context({"case": in_review, "user": outsider}))


def test_the_case_page_lists_the_requests_for_officers_and_reviewers_not_auditors(
    client, asked, officer, reviewer, auditor
):
    link = f"/cases/{asked.case.reference}/information-requests/{asked.pk}/"
    for reader in (officer, reviewer):
        login(client, reader)
        page = client.get(f"/cases/{asked.case.reference}/")
        assert page.status_code == 200 and link in page.text
    login(client, auditor)
    page = client.get(f"/cases/{asked.case.reference}/")
    assert page.status_code == 200 and link not in page.text


def test_a_lapse_that_loses_the_race_to_an_answer_writes_nothing(asked):
    # The answer's conditional UPDATE came first (as if committed a moment ago, after the lapse listed the ids).
    from rfis.services import _close

    stale = InformationRequest.objects.get(pk=asked.pk)
    InformationRequest.objects.filter(pk=asked.pk).update(status="answered")
    with pytest.raises(RequestClosed):
        _close(stale, status="lapsed", actor=None)
    before = written(asked.case)
    assert information_requests_lapse(today=DEADLINE + timedelta(days=30)) == 0
    assert written(asked.case) == before and Case.objects.get(pk=asked.case_id).status == "information_requested"
