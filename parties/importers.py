"""Parsers for the list formats users receive. Each turns files into plain entry dicts, or raises ListFileError
naming the line or element and the field at fault. They write nothing; parties.services imports the result."""

import csv
import gzip
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET  # noqa: S405 - parsed with forbid_dtd-like guards below
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import date
from pathlib import Path
from typing import Any

# Called once for every record read (a CSV row, an XML element), for whoever shows how far a long import has got;
# a context variable, so the parsers keep their one signature and the command line pays nothing.
on_record_read: ContextVar[Callable[[], None] | None] = ContextVar("on_record_read", default=None)


def _record_read() -> None:
    hook = on_record_read.get()
    if hook is not None:
        hook()


class ListFileError(ValueError):
    def __init__(self, where: str, field: str, message: str):
        self.where, self.field, self.message = where, field, message
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


def content_hash(entry: dict) -> str:
    payload = {k: v for k, v in entry.items() if k != "content_hash"}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def country_code(value: str) -> str:
    """An ISO 3166-1 alpha-2 code for a code or an English country name; '' when it is neither."""
    from django_countries import countries

    value = (value or "").strip()
    if re.fullmatch(r"[A-Z]{2}", value):
        return value
    return countries.by_name(value) or countries.by_name(value.title()) or ""


def _finish(entry: dict) -> dict:
    entry["countries"] = sorted({code for code in (country_code(c) for c in entry.get("countries", [])) if code})
    entry.setdefault("aliases", [])
    for key in ("countries", "addresses", "identifiers", "programs"):
        entry.setdefault(key, [])
    entry.setdefault("dates", {})
    for key in (
        "source",
        "remarks",
        "license_requirement",
        "license_policy",
        "federal_register_notice",
        "source_url",
        "instrument",
    ):
        entry.setdefault(key, "")
    entry.setdefault("listed_from", None)
    entry.setdefault("listed_to", None)
    entry["content_hash"] = content_hash(entry)
    return entry


def _open_text(path: Path) -> io.TextIOBase:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz" and raw[:2] != b"\x1f\x8b":
        # A name that says gzip over content that is not: the wrong file was picked, so refuse rather than guess.
        raise ListFileError(path.name, "", "not a readable gzip file (its name ends in .gz but it is not gzip)")
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ListFileError(path.name, "", f"not a readable gzip file ({exc})") from exc
    try:
        return io.StringIO(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ListFileError(path.name, "", f"not UTF-8 text (byte {exc.start})") from exc


class _StrictCsv:
    """A csv reader that is strict about quoting and names the line of a malformed record. The lenient default
    reads a file cut off inside a quoted field as a shorter value, so a truncated download would import."""

    def __init__(self, reader: Any, path: Path):
        self._reader, self._path = reader, path

    def _refuse(self, exc: csv.Error) -> ListFileError:
        return ListFileError(f"{self._path.name} after line {self._reader.line_num}", "", f"not valid CSV ({exc})")

    def __iter__(self) -> "_StrictCsv":
        return self

    def __next__(self) -> Any:
        try:
            row = next(self._reader)
        except csv.Error as exc:
            raise self._refuse(exc) from exc
        _record_read()
        return row

    def __getattr__(self, name: str) -> Any:
        try:
            return getattr(self._reader, name)  # DictReader reads its header row on first use of fieldnames
        except csv.Error as exc:
            raise self._refuse(exc) from exc


def _split(value: str | None, sep: str = ";") -> list[str]:
    return [part.strip() for part in (value or "").split(sep) if part.strip()]


def _date(value: str | None, where: str, field: str) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise ListFileError(where, field, f"not a date: {value!r}") from None


KINDS = {
    "individual": "person",
    "person": "person",
    "entity": "entity",
    "vessel": "vessel",
    "aircraft": "aircraft",
    "organization": "entity",
    "company": "entity",
    "": "unknown",
    "-0-": "unknown",
}


# --- US Consolidated Screening List (trade.gov CSV) -------------------------------------------------------------

CSL_REQUIRED = ("_id", "source", "name", "type", "alt_names")


def parse_csl(paths: list[Path]) -> list[dict]:
    (path,) = paths
    reader = _StrictCsv(csv.DictReader(_open_text(path), strict=True), path)
    missing = [c for c in CSL_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ListFileError(f"{path.name} line 1", ", ".join(missing), "required column missing")
    entries: list[dict] = []
    seen: dict[str, str] = {}
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        if None in row:
            raise ListFileError(
                where, "", f"{len(reader.fieldnames) + len(row[None])} fields, expected {len(reader.fieldnames)}"
            )
        raw_id = (row["_id"] or "").strip()
        name = (row["name"] or "").strip()
        if not raw_id:
            raise ListFileError(where, "_id", "empty")
        # One party can stand on several of the consolidated lists under the same _id (SDN and SSI, say): the
        # entry is the pair, named by the sub-list's abbreviation.
        abbreviation = re.search(r"\(([^)]+)\)", row.get("source") or "")
        entry_id = f"{abbreviation.group(1) if abbreviation else 'CSL'}-{raw_id}"
        if not name:
            raise ListFileError(where, "name", "empty")
        if entry_id in seen:
            # The published file repeats a few rows verbatim but for a link; the same entry twice is one entry.
            if seen[entry_id] == name:
                continue
            raise ListFileError(where, "_id", f"duplicate id {entry_id} with another name")
        seen[entry_id] = name
        kind = KINDS.get((row.get("type") or "").strip().lower())
        if kind is None:
            raise ListFileError(where, "type", f"unknown type {row['type']!r}")
        ids = [{"type": "id", "value": v} for v in _split(row.get("ids"))]
        countries = sorted(
            {
                c
                for c in _split(row.get("citizenships")) + _split(row.get("nationalities"))
                if re.fullmatch(r"[A-Z]{2}", c)
            }
        )
        addresses = _split(row.get("addresses"))
        for address in addresses:
            tail = address.rsplit(",", 1)[-1].strip()
            if re.fullmatch(r"[A-Z]{2}", tail) and tail not in countries:
                countries.append(tail)
        entries.append(
            _finish(
                {
                    "entry_id": entry_id,
                    "kind": kind,
                    "name": name,
                    "aliases": [{"name": a, "strength": "strong"} for a in _split(row.get("alt_names"))],
                    "countries": countries,
                    "addresses": addresses,
                    "identifiers": ids,
                    "dates": {k: v for k, v in {"dates_of_birth": _split(row.get("dates_of_birth"))}.items() if v},
                    "programs": _split(row.get("programs")),
                    "source": (row.get("source") or "").strip(),
                    "remarks": (row.get("remarks") or "").strip(),
                    "license_requirement": (row.get("license_requirement") or "").strip(),
                    "license_policy": (row.get("license_policy") or "").strip(),
                    "federal_register_notice": (row.get("federal_register_notice") or "").strip(),
                    "source_url": (row.get("source_information_url") or row.get("source_list_url") or "").strip(),
                    "listed_from": _date(row.get("start_date"), where, "start_date"),
                    "listed_to": _date(row.get("end_date"), where, "end_date"),
                }
            )
        )
    if not entries:
        raise ListFileError(path.name, "", "no entries")
    return entries


# --- OFAC SDN legacy CSV ---------------------------------------------------------------------------------------


def _ofac(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value == "-0-" else value


def _ofac_rows(path: Path, width: int) -> Iterable[tuple[str, list[str]]]:
    reader = _StrictCsv(csv.reader(_open_text(path), strict=True), path)
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if row[0].strip() == "\x1a":  # the legacy files end with a DOS end-of-file marker
            continue
        if len(row) != width:
            raise ListFileError(where, "", f"{len(row)} fields, expected {width}")
        yield where, row


def parse_ofac_sdn(paths: list[Path]) -> list[dict]:
    """sdn.csv alone, or with alt.csv and add.csv (told apart by their names)."""
    by_role: dict[str, Path] = {}
    for path in paths:
        stem = path.name.lower()
        role = "alt" if stem.startswith("alt") else "add" if stem.startswith("add") else "sdn"
        if role in by_role:
            raise ListFileError(path.name, "", f"two {role} files given")
        by_role[role] = path
    if "sdn" not in by_role:
        raise ListFileError(", ".join(p.name for p in paths), "", "no sdn.csv among the files")
    entries: dict[str, dict] = {}
    for where, row in _ofac_rows(by_role["sdn"], 12):
        ent_num = row[0].strip()
        if not ent_num.isdigit():
            raise ListFileError(where, "ent_num", f"not a number: {row[0]!r}")
        if ent_num in entries:
            raise ListFileError(where, "ent_num", f"duplicate {ent_num}")
        name = _ofac(row[1])
        if not name:
            raise ListFileError(where, "name", "empty")
        kind = KINDS.get(_ofac(row[2]).lower(), "unknown")
        remarks = _ofac(row[11])
        entries[ent_num] = {
            "entry_id": ent_num,
            "kind": "entity" if kind == "unknown" else kind,
            "name": name,
            "aliases": [],
            "countries": [],
            "addresses": [],
            "identifiers": [],
            "programs": _split(_ofac(row[3]), "]"),
            "remarks": remarks,
            "source": "Specially Designated Nationals (SDN) - Treasury Department",
        }
        entries[ent_num]["programs"] = [p.strip("[ ") for p in re.split(r"\]\s*\[|;", _ofac(row[3])) if p.strip("[] ")]
        for kind_name, value in re.findall(
            r"(Passport|National ID No\.|Tax ID No\.|Registration ID|IMO|MMSI)\s+([\w-]+)", remarks
        ):
            entries[ent_num]["identifiers"].append({"type": kind_name.rstrip("."), "value": value})
        for alias_kind, alias in re.findall(r"(a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s+'([^']+)'", remarks):
            entries[ent_num]["aliases"].append(
                {"name": alias, "strength": "strong" if alias_kind != "f.k.a." else "weak"}
            )
    if "alt" in by_role:
        for where, row in _ofac_rows(by_role["alt"], 5):
            ent_num = row[0].strip()
            if ent_num not in entries:
                raise ListFileError(where, "ent_num", f"no SDN entry {ent_num}")
            alias = _ofac(row[3])
            if alias and alias not in {a["name"] for a in entries[ent_num]["aliases"]}:
                strength = "weak" if _ofac(row[2]).lower() in {"nka", "fka"} else "strong"
                entries[ent_num]["aliases"].append({"name": alias, "strength": strength})
    if "add" in by_role:
        for where, row in _ofac_rows(by_role["add"], 6):
            ent_num = row[0].strip()
            if ent_num not in entries:
                raise ListFileError(where, "ent_num", f"no SDN entry {ent_num}")
            parts = [_ofac(row[2]), _ofac(row[3]), _ofac(row[4])]
            address = ", ".join(p for p in parts if p)
            if address:
                entries[ent_num]["addresses"].append(address)
            if _ofac(row[4]):
                entries[ent_num]["countries"].append(_ofac(row[4]))
    return [_finish(e) for e in entries.values()]


# --- UN Security Council consolidated list (XML) ---------------------------------------------------------------


def _text(element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None and found.text else ""


def parse_un_xml(paths: list[Path]) -> list[dict]:
    (path,) = paths
    data = _open_text(path).getvalue()
    if "<!DOCTYPE" in data[:2000] or "<!ENTITY" in data:
        raise ListFileError(path.name, "", "DTDs and entities are not accepted")
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD or entities (checked above)
    except ET.ParseError as exc:
        line, column = exc.position
        raise ListFileError(f"{path.name} line {line} column {column}", "", f"not well-formed XML ({exc.msg})") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFileError(path.name, root.tag, "expected a CONSOLIDATED_LIST document")
    entries = []
    seen = set()
    for kind, tag, alias_tag, address_tag in (
        ("person", "INDIVIDUALS/INDIVIDUAL", "INDIVIDUAL_ALIAS", "INDIVIDUAL_ADDRESS"),
        ("entity", "ENTITIES/ENTITY", "ENTITY_ALIAS", "ENTITY_ADDRESS"),
    ):
        for index, element in enumerate(root.findall(tag), start=1):
            _record_read()
            where = f"{path.name} {tag.split('/')[1]} #{index}"
            data_id = _text(element, "DATAID")
            if not data_id:
                raise ListFileError(where, "DATAID", "missing")
            if data_id in seen:
                raise ListFileError(where, "DATAID", f"duplicate {data_id}")
            seen.add(data_id)
            parts = [_text(element, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
            name = " ".join(p for p in parts if p)
            if not name:
                raise ListFileError(f"{where} (DATAID {data_id})", "FIRST_NAME", "no name")
            aliases = []
            for alias in element.findall(alias_tag):
                alias_name = _text(alias, "ALIAS_NAME")
                if alias_name:
                    quality = _text(alias, "QUALITY").lower()
                    aliases.append(
                        {"name": alias_name, "strength": "weak" if quality in {"low", "a.k.a. (low)"} else "strong"}
                    )
            original = _text(element, "NAME_ORIGINAL_SCRIPT")
            if original:
                aliases.append({"name": original, "strength": "strong"})
            addresses, countries = [], []
            for address in element.findall(address_tag):
                text = ", ".join(
                    p for p in (_text(address, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")) if p
                )
                if text:
                    addresses.append(text)
                if _text(address, "COUNTRY"):
                    countries.append(_text(address, "COUNTRY"))
            for nationality in element.findall("NATIONALITY/VALUE"):
                if (nationality.text or "").strip():
                    countries.append(nationality.text.strip())
            identifiers = [
                {"type": _text(doc, "TYPE_OF_DOCUMENT") or "document", "value": _text(doc, "NUMBER")}
                for doc in element.findall("INDIVIDUAL_DOCUMENT")
                if _text(doc, "NUMBER")
            ]
            entries.append(
                _finish(
                    {
                        "entry_id": data_id,
                        "kind": kind,
                        "name": name,
                        "aliases": aliases,
                        "countries": sorted(set(countries)),
                        "addresses": addresses,
                        "identifiers": identifiers,
                        "programs": [p for p in [_text(element, "UN_LIST_TYPE")] if p],
                        "source": "UN Security Council Consolidated List",
                        "remarks": _text(element, "COMMENTS1"),
                        "listed_from": _date(_text(element, "LISTED_ON"), where, "LISTED_ON"),
                        "dates": {"reference_number": _text(element, "REFERENCE_NUMBER")},
                    }
                )
            )
    if not entries:
        raise ListFileError(path.name, "", "no INDIVIDUAL or ENTITY elements")
    return entries


# --- Simple CSV for lists admins keep by hand ------------------------------------------------------------------

SIMPLE_COLUMNS = (
    "id",
    "name",
    "aliases",
    "kind",
    "country",
    "instrument",
    "listed_from",
    "listed_to",
    "program",
    "remarks",
)


def parse_simple_csv(paths: list[Path]) -> list[dict]:
    """Columns: id, name (required), aliases (;-separated), kind, country, instrument, listed_from, listed_to,
    program, remarks."""
    (path,) = paths
    reader = _StrictCsv(csv.DictReader(_open_text(path), strict=True), path)
    if "name" not in (reader.fieldnames or []) or "id" not in (reader.fieldnames or []):
        raise ListFileError(f"{path.name} line 1", "id, name", "required column missing")
    unknown = [c for c in reader.fieldnames if c not in SIMPLE_COLUMNS]
    if unknown:
        raise ListFileError(
            f"{path.name} line 1", ", ".join(unknown), f"unknown column (known: {', '.join(SIMPLE_COLUMNS)})"
        )
    entries, seen = [], set()
    for row in reader:
        where = f"{path.name} line {reader.line_num}"
        if None in row:
            raise ListFileError(where, "", "more fields than columns")
        entry_id, name = (row.get("id") or "").strip(), (row.get("name") or "").strip()
        if not entry_id:
            raise ListFileError(where, "id", "empty")
        if not name:
            raise ListFileError(where, "name", "empty")
        if entry_id in seen:
            raise ListFileError(where, "id", f"duplicate id {entry_id}")
        seen.add(entry_id)
        kind = KINDS.get((row.get("kind") or "entity").strip().lower())
        if kind is None:
            raise ListFileError(where, "kind", f"unknown kind {row['kind']!r}")
        country = (row.get("country") or "").strip()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise ListFileError(where, "country", f"not an ISO 3166-1 alpha-2 code: {country!r}")
        listed_from = _date(row.get("listed_from"), where, "listed_from")
        listed_to = _date(row.get("listed_to"), where, "listed_to")
        if listed_from and listed_to and listed_to < listed_from:
            raise ListFileError(where, "listed_to", "before listed_from")
        entries.append(
            _finish(
                {
                    "entry_id": entry_id,
                    "kind": kind,
                    "name": name,
                    "aliases": [{"name": a, "strength": "strong"} for a in _split(row.get("aliases"))],
                    "countries": [country] if country else [],
                    "instrument": (row.get("instrument") or "").strip(),
                    "programs": _split(row.get("program")),
                    "remarks": (row.get("remarks") or "").strip(),
                    "listed_from": listed_from,
                    "listed_to": listed_to,
                }
            )
        )
    if not entries:
        raise ListFileError(path.name, "", "no entries")
    return entries


PARSERS = {"csl": parse_csl, "ofac-sdn": parse_ofac_sdn, "un-xml": parse_un_xml, "csv": parse_simple_csv}
