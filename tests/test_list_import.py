"""Importing restricted-party lists from the real files: counts, aliases, a known entry, bad files, atomicity."""

import gzip
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.models import AuditEvent
from parties.importers import ListFileError, parse_csl, parse_ofac_sdn, parse_simple_csv, parse_un_xml
from parties.models import ListEntry, ListVersion, RestrictedList
from parties.services import ListImportRefused, list_import

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "lists"
CSL = ROOT / "parties" / "data" / "us_csl_2022.csv.gz"
SDN_2021 = [DATA / "ofac_sdn_2021" / f"{name}.csv.gz" for name in ("sdn", "alt", "add")]
SDN_APRIL = DATA / "ofac_sdn_2024" / "sdn_2024-04-02.csv.gz"
SDN_MAY = DATA / "ofac_sdn_2024" / "sdn_2024-05-03.csv.gz"
UN = DATA / "un_consolidated_2026-02-27.xml.gz"


def test_csl_rows_aliases_and_a_known_entry():
    entries = parse_csl([CSL])
    assert len(entries) == 14159  # 14,160 rows, one of them published twice
    by_id = {e["entry_id"]: e for e in entries}
    assert sum(1 for e in entries if e["source"].startswith("Entity List")) == 2001
    entry = next(e for e in entries if e["name"] == "BANK OF KUNLUN CO LTD" and e["entry_id"].startswith("CAP-"))
    assert {"name": "KARAMAY URBAN CREDIT COOPERATIVES", "strength": "strong"} in entry["aliases"]
    assert "CN" in entry["countries"]
    # Export-control meaning travels with the entry.
    el = [e for e in by_id.values() if e["source"].startswith("Entity List") and e["license_requirement"]]
    assert el and all(e["license_policy"] for e in el[:20])
    assert all(e["content_hash"] and len(e["content_hash"]) == 64 for e in entries)


def test_ofac_sdn_2021_with_alt_and_add():
    entries = parse_ofac_sdn(SDN_2021)
    assert len(entries) == 8976
    bnc = next(e for e in entries if e["entry_id"] == "306")
    assert bnc["name"] == "BANCO NACIONAL DE CUBA"
    assert {"name": "NATIONAL BANK OF CUBA", "strength": "strong"} in bnc["aliases"]
    assert "Zweierstrasse 35, Zurich CH-8022, Switzerland" in bnc["addresses"]
    assert "CH" in bnc["countries"] and bnc["programs"] == ["CUBA"]


def test_un_xml_individuals_and_entities():
    with gzip.open(UN, "rb") as raw:
        data = raw.read()
    entries = parse_un_xml([_tmp_file("un.xml", data)])
    assert sum(e["kind"] == "person" for e in entries) == 730
    assert sum(e["kind"] == "entity" for e in entries) == 273
    assert all(e["name"] for e in entries)


def _tmp_file(name: str, data: bytes) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("parser", "name", "content", "message"),
    [
        (parse_csl, "csl.csv", b"_id,source,name\n1,x,y\n", "csl.csv line 1: type, alt_names: required column missing"),
        (parse_csl, "csl.csv", b"_id,source,name,type,alt_names\n1,S (X),,Entity,\n", "csl.csv line 2: name: empty"),
        (
            parse_csl,
            "csl.csv",
            b"_id,source,name,type,alt_names\n1,S (X),A,Robot,\n",
            "csl.csv line 2: type: unknown type 'Robot'",
        ),
        (parse_ofac_sdn, "sdn.csv", b'36,"AERO",-0- \n', "sdn.csv line 1: 3 fields, expected 12"),
        (
            parse_ofac_sdn,
            "sdn.csv",
            b'x,"AERO",-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-,-0-\n',
            "sdn.csv line 1: ent_num: not a number: 'x'",
        ),
        (
            parse_un_xml,
            "un.xml",
            b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL>",
            "un.xml line 1 column",
        ),
        (
            parse_un_xml,
            "un.xml",
            b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>",
            "un.xml INDIVIDUAL #1 (DATAID 1): FIRST_NAME: no name",
        ),
        (
            parse_un_xml,
            "un.xml",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CONSOLIDATED_LIST/>',
            "DTDs and entities are not accepted",
        ),
        (
            parse_simple_csv,
            "cn.csv",
            b"id,name,country\n1,Cubic,USA\n",
            "cn.csv line 2: country: not an ISO 3166-1 alpha-2 code: 'USA'",
        ),
        (parse_simple_csv, "cn.csv", b"id,name,colour\n1,Cubic,red\n", "cn.csv line 1: colour: unknown column"),
        (
            parse_simple_csv,
            "cn.csv",
            b"id,name,listed_from\n1,Cubic,2025-13-01\n",
            "cn.csv line 2: listed_from: not a date",
        ),
        (parse_simple_csv, "cn.csv", b"id,name\n1,Cubic\n1,Echodyne\n", "cn.csv line 3: id: duplicate id 1"),
        (parse_csl, "csl.csv.gz", b"\x1f\x8b\x08\x00broken", "csl.csv.gz: not a readable gzip file"),
    ],
)
def test_bad_files_name_the_line_or_element_and_field(parser, name, content, message):
    with pytest.raises(ListFileError) as info:
        parser([_tmp_file(name, content)])
    assert str(info.value).startswith(message) or message in str(info.value)


@pytest.mark.django_db
def test_import_versions_and_delta_summary_with_the_sdn_pair():
    first = list_import(list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_APRIL], actor=None, name="OFAC SDN")
    assert first.entries == 14560 and first.version.number == 1 and len(first.added) == 14560
    second = list_import(list_key="OFAC-SDN", fmt="ofac-sdn", paths=[SDN_MAY], actor=None)
    assert (len(second.added), len(second.removed), len(second.changed)) == (417, 12, 11)
    assert second.version.number == 2
    statuses = dict(ListVersion.objects.values_list("number", "status"))
    assert statuses == {1: "superseded", 2: "current"}
    event = AuditEvent.objects.filter(verb="list.imported").last()
    assert event.after["added"] == 417 and event.after["removed"] == 12 and event.after["changed"] == 11


@pytest.mark.django_db
def test_failed_import_leaves_the_previous_version_in_force(tmp_path):
    good = tmp_path / "cn.csv"
    good.write_text("id,name,country,instrument,listed_from\n1,Cubic Corporation,US,CN-ANN-21-2025,2025-04-04\n")
    list_import(list_key="CN-CONTROL", fmt="csv", paths=[good], actor=None)
    bad = tmp_path / "cn2.csv"
    bad.write_text("id,name,country\n1,Cubic Corporation,US\n2,,US\n")
    with pytest.raises(ListFileError, match="line 3: name: empty"):
        list_import(list_key="CN-CONTROL", fmt="csv", paths=[bad], actor=None)
    (version,) = ListVersion.objects.filter(restricted_list__key="CN-CONTROL")
    assert version.status == "current" and version.number == 1
    assert ListEntry.objects.filter(version=version).count() == 1
    assert AuditEvent.objects.filter(verb="list.imported").count() == 1


@pytest.mark.django_db
def test_format_of_a_list_cannot_change_and_names_are_checked(tmp_path):
    good = tmp_path / "cn.csv"
    good.write_text("id,name\n1,Cubic Corporation\n")
    list_import(list_key="CN-CONTROL", fmt="csv", paths=[good], actor=None)
    with pytest.raises(ListImportRefused, match="imported as csv"):
        list_import(list_key="CN-CONTROL", fmt="csl", paths=[CSL], actor=None)
    with pytest.raises(ListImportRefused, match="List name"):
        list_import(list_key="bad name", fmt="csv", paths=[good], actor=None)


@pytest.mark.django_db
def test_only_rule_admins_import(officer, tmp_path):
    good = tmp_path / "cn.csv"
    good.write_text("id,name\n1,Cubic Corporation\n")
    with pytest.raises(ListImportRefused):
        list_import(list_key="CN-CONTROL", fmt="csv", paths=[good], actor=officer)
    assert not RestrictedList.objects.exists()


@pytest.mark.django_db
def test_import_list_command(tmp_path):
    out = io.StringIO()
    call_command("import_list", "--format", "un-xml", "--list", "UN-SC", str(UN), stdout=out)
    assert "1003 entries; 1003 added, 0 removed, 0 changed" in out.getvalue()
    broken = tmp_path / "un.xml"
    shutil.copy(UN, tmp_path / "un.xml.gz")
    broken.write_bytes(b"<CONSOLIDATED_LIST><ENTITIES><ENTITY></ENTITY></ENTITIES></CONSOLIDATED_LIST>")
    err = io.StringIO()
    with pytest.raises(SystemExit) as info:
        call_command("import_list", "--format", "un-xml", "--list", "UN-SC", str(broken), stderr=err)
    assert info.value.code == 2
    assert "ENTITY #1: DATAID: missing" in err.getvalue()
    assert "previous version of UN-SC stays in force" in err.getvalue()
    assert ListVersion.objects.get(restricted_list__key="UN-SC").number == 1
