"""The reads every submission makes (the case locked for screening, the rule set and the lists in force, the
calendar, the routing rules) are compiled once and run with each call's values: they must read what the ORM
read, as the data stands at each call, and lock what it locked."""

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case
from cases.selectors import case_lock_for_screening
from cases.services import case_submit
from cases.vocab import CaseStatus
from parties.models import ListVersion
from parties.screening import lists_in_force
from review.models import Queue, RoutingRule
from review.services import route_queue
from screening.models import RuleSetVersion
from screening.selectors import rule_set_in_force
from screening.services import rule_set_create_draft, rule_set_publish
from timelimits.models import CalendarDay, HolidayCalendar
from timelimits.services import _calendar_for_start

from .factories import make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db):
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())


def screened(officer, capture, **overrides) -> Case:
    with capture(execute=True):
        case = case_submit(case=make_case(officer, **overrides), actor=officer)
    case.refresh_from_db()
    assert case.status == CaseStatus.SCREENED
    return case


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's; SQLite locks the database")
@pytest.mark.postgres
def test_the_screening_locks_the_case_row_alone_and_holds_its_organisation(officer):
    case = make_case(officer)
    with CaptureQueriesContext(connection) as ctx:
        locked = case_lock_for_screening(case_id=case.pk)
        read = len(ctx.captured_queries)
        assert locked.organisation == officer.organisation
        assert len(ctx.captured_queries) == read  # the organisation came with the case
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    # Not the organisation's row: submissions of one organisation's cases must not wait on each other.
    assert len(locks) == 1 and locks[0].endswith('FOR UPDATE OF "cases_case"'), locks
    assert (locked.pk, locked.version, locked.status) == (case.pk, case.version, case.status)
    with pytest.raises(Case.DoesNotExist):
        case_lock_for_screening(case_id=case.pk + 1000)


@pytest.mark.django_db(transaction=True)
def test_locking_the_case_outside_a_transaction_is_refused_every_time(officer):
    case = make_case(officer)
    with transaction.atomic():
        case_lock_for_screening(case_id=case.pk)  # compiled by now
    # A lock outside a transaction would end with its statement: refused as the ORM refuses it.
    with pytest.raises(TransactionManagementError):
        case_lock_for_screening(case_id=case.pk)


def test_routing_reads_the_rules_and_default_queue_as_they_are_now(
    published, officer, django_capture_on_commit_callbacks
):
    assert screened(officer, django_capture_on_commit_callbacks).assignment.queue.slug == "general"
    desk = Queue.objects.create(name="Germany desk", slug="de")
    rule = RoutingRule.objects.create(queue=desk, priority=1, destination_country="DE")
    routed = screened(officer, django_capture_on_commit_callbacks)
    assert routed.assignment.queue == desk and routed.assignment.rule == rule
    queue, chosen = route_queue(case=routed, outcome=routed.assignment.outcome)
    assert (queue, chosen, chosen.queue) == (desk, rule, desk)
    assert chosen.destination_country == "DE" and chosen.priority == 1

    RoutingRule.objects.filter(pk=rule.pk).update(active=False)
    assert screened(officer, django_capture_on_commit_callbacks).assignment.queue.slug == "general"
    Queue.objects.update(is_default=False)
    assert route_queue(case=routed, outcome="no_licence_required") == (None, None)
    Queue.objects.filter(pk=desk.pk).update(is_default=True)
    assert route_queue(case=routed, outcome="no_licence_required") == (desk, None)


def test_the_rule_set_in_force_is_the_one_published_last_whose_day_has_come(published):
    first = rule_set_in_force()
    today = timezone.localdate()
    later = rule_set_create_draft(base=first, label="later", actor=None)
    rule_set_publish(version=later, actor=None, effective_from=today + timedelta(days=3))
    assert rule_set_in_force() == first
    assert rule_set_in_force(today=today + timedelta(days=3)) == later
    # An aware datetime counts by its date in the default time zone, as the ORM compares it with the field: late
    # on the day before `later` in New York is already `later`'s day in UTC.
    evening = datetime.combine(today + timedelta(days=2), time(23, 30), tzinfo=ZoneInfo("America/New_York"))
    assert timezone.localdate(evening) == today + timedelta(days=3)
    assert rule_set_in_force(today=evening) == later
    assert rule_set_in_force(today=evening.replace(hour=12)) == first
    assert RuleSetVersion.objects.filter(effective_from__lte=evening, label="later").exists()
    now = rule_set_create_draft(base=first, label="now", actor=None)
    rule_set_publish(version=now, actor=None, effective_from=today)
    found = rule_set_in_force()
    assert found == now
    assert (found.label, found.status, found.published_at, found.effective_from) == (
        "now",
        "published",
        rule_set_in_force(today=timezone.localtime()).published_at,  # a datetime: read as today's date
        today,
    )


def test_lists_in_force_read_what_the_orm_reads_with_their_list(db, django_assert_num_queries):
    call_command("load_shipped_lists", "--only", "CN-CONTROL", stdout=io.StringIO())
    on = date(2030, 1, 1)
    read = lists_in_force(on=on)
    assert read
    by_orm: dict = {}
    for version in (
        ListVersion.objects.filter(effective_from__lte=on)
        .select_related("restricted_list")
        .order_by("restricted_list__key", "-effective_from", "-number")
    ):
        by_orm.setdefault(version.restricted_list_id, version)
    by_orm = list(by_orm.values())
    with django_assert_num_queries(0):
        assert [(v.pk, v.number, v.effective_from, v.restricted_list.key) for v in read] == [
            (v.pk, v.number, v.effective_from, v.restricted_list.key) for v in by_orm
        ]
        assert [v.restricted_list.match_threshold for v in read] == [v.restricted_list.match_threshold for v in by_orm]
    # A version imported since is read at once; one dated later only from its day.
    current = read[0]
    superseded = ListVersion.Status.SUPERSEDED
    newer = ListVersion.objects.create(
        restricted_list=current.restricted_list, number=current.number + 1, effective_from=on, status=superseded
    )
    next_day = ListVersion.objects.create(
        restricted_list=current.restricted_list,
        number=current.number + 2,
        effective_from=on + timedelta(days=1),
        status=superseded,
    )
    assert [v.pk for v in lists_in_force(on=on) if v.restricted_list_id == current.restricted_list_id] == [newer.pk]
    # A datetime is read as the ORM reads it: an aware one by its date in the default time zone (UTC here).
    evening = datetime(2030, 1, 1, 23, 30, tzinfo=ZoneInfo("America/New_York"))  # 2 January in UTC
    read = [v.pk for v in lists_in_force(on=evening) if v.restricted_list_id == current.restricted_list_id]
    assert read == [next_day.pk]
    by_orm = ListVersion.objects.filter(restricted_list=current.restricted_list, effective_from__lte=evening)
    assert by_orm.latest("effective_from", "number") == next_day
    assert [v.pk for v in lists_in_force(on=datetime(2030, 1, 1, 12))] == [v.pk for v in lists_in_force(on=on)]


def test_the_calendar_for_a_clock_is_read_as_it_is_now(db):
    calendar, dates = _calendar_for_start()
    day = date(2031, 5, 6)
    assert day not in dates["holidays"]
    CalendarDay.objects.create(calendar=calendar, date=day, kind=CalendarDay.Kind.HOLIDAY, name="New")
    again, dates = _calendar_for_start()
    assert again.pk == calendar.pk == HolidayCalendar.objects.get(code="CN").pk
    assert day in dates["holidays"] and day not in dates["extra_working_days"]


def test_routing_falls_back_to_the_default_queue_even_when_it_has_rules_of_its_own(officer):
    Queue.objects.update(is_default=False)
    desk = Queue.objects.create(name="Desk", slug="desk", is_default=True)
    other = Queue.objects.create(name="Other", slug="other")
    first = RoutingRule.objects.create(queue=desk, priority=1, destination_country="FR")
    RoutingRule.objects.create(queue=desk, priority=2, destination_country="FR", licence_type="open")
    third = RoutingRule.objects.create(queue=other, priority=3, destination_country="FR")
    RoutingRule.objects.create(queue=other, priority=0, destination_country="FR", active=False)
    germany, france = make_case(officer), make_case(officer, destination_country="FR")
    assert route_queue(case=germany, outcome="licence_required") == (desk, None)
    assert route_queue(case=france, outcome="licence_required") == (desk, first)
    RoutingRule.objects.filter(pk=first.pk).update(active=False)
    queue, rule = route_queue(case=france, outcome="licence_required")
    assert (queue, rule, rule.queue, rule.priority) == (other, third, other, 3)
    assert route_queue(case=germany, outcome="licence_required") == (desk, None)
