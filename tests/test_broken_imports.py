"""Broken rule packs and list files, through the management commands and the services: refused with a message,
the version in force stays in force, and nothing is half-written — checked by counting the rows after the failure.

test_rule_sets covers packs that parse but break a rule (each named by path); test_list_import covers each parser's
messages. These cases add the files that do not parse at all or have the wrong shape."""

import gzip
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit.models import AuditEvent
from parties.models import ListEntry, ListVersion, RestrictedList
from parties.services import ListFileError, list_import
from screening.models import Rule, RuleSetVersion
from screening.selectors import rule_set_in_force
from screening.services import RulePackInvalid, rule_set_import

from .test_engine import SEED

pytestmark = pytest.mark.django_db

SEED_TEXT = Path(SEED).read_text() if not isinstance(SEED, dict) else json.dumps(SEED)


def seed_with(**changes) -> str:
    pack = json.loads(SEED_TEXT)
    pack.update(changes)
    pack["version"] = (
        {**pack["version"], "label": "broken"} if isinstance(pack.get("version"), dict) else pack.get("version")
    )
    return json.dumps(pack)


def rule_rows() -> tuple:
    return RuleSetVersion.objects.count(), Rule.objects.count(), AuditEvent.objects.count()


@pytest.fixture
def in_force():
    call_command("load_rule_pack", "--publish", stdout=io.StringIO())
    version = rule_set_in_force()
    assert version is not None
    return version


BROKEN_PACKS = [
    pytest.param(SEED_TEXT[: len(SEED_TEXT) // 2].encode(), id="truncated"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\xff\xfe{\x00", id="not-utf8"),
    pytest.param(gzip.compress(SEED_TEXT.encode()), id="gzip-named-json"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"a rule pack"', id="string"),
    pytest.param(b"null", id="null"),
    pytest.param(json.dumps({"version": "broken"}).encode(), id="version-not-an-object"),
    pytest.param(seed_with(format="another-format/9").encode(), id="wrong-format"),
    pytest.param(seed_with(rules={"CN-1": {}}).encode(), id="rules-not-a-list"),
    pytest.param(seed_with(version=["broken"]).encode(), id="version-a-list"),
]


@pytest.mark.parametrize("content", BROKEN_PACKS)
def test_load_rule_pack_refuses_a_broken_file_and_writes_nothing(in_force, tmp_path, content):
    path = tmp_path / "pack.json"
    path.write_bytes(content)
    before = rule_rows()
    err = io.StringIO()
    with pytest.raises(CommandError) as info:
        call_command("load_rule_pack", str(path), "--publish", stdout=io.StringIO(), stderr=err)
    assert str(path) in str(info.value) or "nothing was imported" in str(info.value)
    assert rule_rows() == before
    assert rule_set_in_force() == in_force


@pytest.mark.parametrize("pack", [[], "a rule pack", None, 42, {"version": "x"}, {"version": {"label": 3}}])
def test_rule_set_import_refuses_a_pack_of_the_wrong_shape(in_force, rule_admin, pack):
    before = rule_rows()
    with pytest.raises(RulePackInvalid) as info:
        rule_set_import(pack=pack, actor=rule_admin)
    assert info.value.errors
    assert rule_rows() == before
    assert rule_set_in_force() == in_force


# --- Restricted-party lists -----------------------------------------------------------------------------------

GOOD_CSV = b"id,name,country,instrument,listed_from\n1,Cubic Corporation,US,CN-ANN-21-2025,2025-04-04\n"


def list_rows() -> tuple:
    return (
        RestrictedList.objects.count(),
        ListVersion.objects.count(),
        ListEntry.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def current_list(tmp_path):
    good = tmp_path / "cn.csv"
    good.write_bytes(GOOD_CSV)
    summary = list_import(list_key="CN-CONTROL", fmt="csv", paths=[good], actor=None)
    return summary.version


BROKEN_LISTS = [
    pytest.param("cn.csv", b"id,name,country\n1,Cubic Corporation,US\n2,,US\n", "line 3: name: empty", id="bad-row"),
    pytest.param("cn.csv", b"id,name,colour\n1,Cubic,red\n", "colour: unknown column", id="wrong-columns"),
    pytest.param("cn.csv", b'id,name\n1,"Cubic Corporat', "cn.csv", id="truncated-quote"),
    pytest.param("cn.csv.gz", GOOD_CSV, "not a readable gzip file", id="gz-that-is-not-gz"),
    pytest.param("cn.csv.gz", gzip.compress(GOOD_CSV)[:30], "cn.csv.gz", id="truncated-gz"),
    pytest.param("cn.csv", b"", "cn.csv", id="empty"),
    pytest.param("cn.csv", b"\x00\xff\xfe\x00binary", "cn.csv", id="binary"),
    pytest.param("cn.csv", b"id,name\n1,Cubic\n1,Echodyne\n", "line 3: id: duplicate id 1", id="duplicate-id"),
]


@pytest.mark.parametrize(("name", "content", "message"), BROKEN_LISTS)
def test_import_list_refuses_a_broken_file_and_the_old_version_stays(current_list, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = list_rows()
    err = io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("import_list", "--format", "csv", "--list", "CN-CONTROL", str(path), stderr=err)
    assert info.value.code == 2
    assert message in err.getvalue()
    assert "previous version of CN-CONTROL stays in force" in err.getvalue()
    assert list_rows() == before
    current = ListVersion.objects.get(restricted_list__key="CN-CONTROL", status="current")
    assert current == current_list and current.entries.count() == 1


@pytest.mark.parametrize(("name", "content", "message"), BROKEN_LISTS)
def test_list_import_service_refuses_a_broken_file_and_writes_nothing(current_list, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = list_rows()
    with pytest.raises(ListFileError) as info:
        list_import(list_key="CN-CONTROL", fmt="csv", paths=[path], actor=None)
    assert message in str(info.value)
    assert list_rows() == before


@pytest.mark.parametrize(
    ("fmt", "name", "content"),
    [
        ("un-xml", "un.xml", b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATA"),
        ("un-xml", "un.xml.gz", b"<CONSOLIDATED_LIST/>"),
        ("csl", "csl.csv", b"_id,source\n1,x\n"),
        ("ofac-sdn", "sdn.csv", b'36,"AERO"\n'),
    ],
)
def test_a_broken_first_import_creates_no_list_at_all(tmp_path, fmt, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SystemExit) as info:
        call_command("import_list", "--format", fmt, "--list", "NEW-LIST", str(path), stderr=io.StringIO())
    assert info.value.code == 2
    assert list_rows() == (0, 0, 0, 0)
