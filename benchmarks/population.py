"""A register of permits in force for the re-check benchmark (and later load tests), written fast with COPY.

`populate(permits=100_000, seed=...)` writes, per permit, what it rests on as the product would hold it: an
approved case (items with their elements and foreign content, parties with their owners, end use), the
screening it was issued on (a real determination by the engine under the rule set in force), the permit and its
lines, and the permit's facts in the re-check index (`rechecks.PermitFacet`, the rows `rechecks.facets.
permit_facets` gives for the case document, as `facets_index` writes them). The cases are drawn from the
screening benchmark's generator (benchmarks/screening_cases.py: exporters, destinations, end uses, listed and
unlisted parties and owners), with party names varied so that a run matches thousands of different names rather
than a few dozen, and with the items of Ann. 57 (holmium, erbium, thulium, europium, ytterbium; control codes
1C909-1C913) kept rare: about 1 % of permits carry one, which is what the benchmark's incremental change touches.

Documents are generated and screened in worker processes (fork), by chunks seeded from the seed and the chunk's
number, so the same seed gives the same register whatever the number of processes; the parent writes each chunk
with one COPY per table, all in one transaction with a marker row, so a database holds a register completely or
not at all and a second call with the same seed and size reuses it. What is not written: audit events, case
versions and documents (the re-check reads none of them)."""

import hashlib
import json
import multiprocessing
import os
import random
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime

from . import screening_cases as gen

DEFAULT_SEED = 20261129
CHUNK = 2_000
ITEMS = 3
PARTIES = 3
MARKER_TABLE = "benchmark_population"
# Ann. 57's goods, the rare bucket: about 0.75 % of a Chinese exporter's goods lines, so about 1 % of permits.
ANN57_SHARE = 0.0075
ANN57_ELEMENTS = {"Ho", "Er", "Tm", "Eu", "Yb"}
ANN57_CODES = ("1C909", "1C910", "1C911", "1C912", "1C913")
ANN57_GOODS = [
    g for g in gen.CN_GOODS if {e for e, _, _ in g[3]} & ANN57_ELEMENTS or (g[1] or "").startswith(ANN57_CODES)
]
OTHER_GOODS = [g for g in gen.CN_GOODS if g not in ANN57_GOODS]

# Varied buyer names, so the matcher sees many names (as a real register would), none of them on a list.
CITIES = {
    "DE": ["Stuttgart", "Hamburg", "Dresden", "Kassel", "Bremen", "Leipzig", "Augsburg", "Ulm"],
    "FR": ["Lyon", "Grenoble", "Toulouse", "Nantes", "Lille", "Rennes"],
    "US": ["Detroit", "Austin", "Phoenix", "Columbus", "Raleigh", "Tucson", "Omaha", "Boise"],
    "JP": ["Nagoya", "Sendai", "Kobe", "Hamamatsu", "Kitakyushu"],
    "KR": ["Ulsan", "Changwon", "Gumi", "Cheonan"],
    "IN": ["Pune", "Chennai", "Coimbatore", "Vadodara"],
    "VN": ["Binh Duong", "Da Nang", "Hai Duong"],
    "IT": ["Torino", "Bergamo", "Modena", "Brescia"],
    "NL": ["Eindhoven", "Delft", "Venlo"],
    "BR": ["Campinas", "Joinville", "Curitiba"],
    "MY": ["Penang", "Johor Bahru", "Kulim"],
}
TRADES = [
    "Drive", "Motor", "Servo", "Wind", "Power", "Magnet", "Precision", "Mobility", "Sensor", "Automation",
    "Traction", "Actuator", "Generator", "Robotics", "Optics", "Laser", "Display", "Medical Imaging",
]  # fmt: skip
WORDS = ["Systems", "Components", "Technik", "Works", "Solutions", "Industries", "Engineering", "Devices"]
LEGAL = {
    "DE": "GmbH", "FR": "SAS", "US": "Inc.", "JP": "K.K.", "KR": "Co., Ltd.", "IN": "Pvt. Ltd.", "VN": "JSC",
    "IT": "S.p.A.", "NL": "B.V.", "BR": "Ltda.", "MY": "Sdn. Bhd.",
}  # fmt: skip


@dataclass(frozen=True)
class Population:
    permits: int
    seed: int
    permit_ids: tuple[int, int]  # first and last id: the register's permits are a dense range
    reused: bool
    seconds: float
    rows: dict


# --- Generating documents --------------------------------------------------------------------------------------


_GENERATOR_CN_ITEM = gen._cn_item


def _cn_item(rng: random.Random) -> dict:
    item = _GENERATOR_CN_ITEM(rng)
    if item["kind"] != "goods" or item.get("deep_processed"):
        return item
    # Redraw the goods line from the two buckets, so Ann. 57's goods keep their share.
    pool = ANN57_GOODS if rng.random() < ANN57_SHARE else OTHER_GOODS
    description, code, hs, triples = rng.choice(pool)
    item = {"description": description, "kind": "goods", "hs_code": hs, **{k: item[k] for k in ("value", "quantity")}}
    if code:
        item["control_code"] = code
    if triples:
        item["elements"] = gen._elements(triples)
    return item


def _vary_name(rng: random.Random, party: dict) -> None:
    country = party["country"]
    if country not in CITIES or party["name"] in gen.LISTED.get(country, ()) or rng.random() < 0.2:
        return
    party["name"] = f"{rng.choice(CITIES[country])} {rng.choice(TRADES)} {rng.choice(WORDS)} {LEGAL[country]}"


def generate_document(rng: random.Random, number: int) -> dict:
    """One case document: the screening benchmark's mix, with Ann. 57 goods rare and buyer names varied."""
    original = gen._cn_item
    gen._cn_item = _cn_item  # the generator's re-export lines call it too
    try:
        doc = gen.generate_case(rng, number, items=ITEMS, parties=PARTIES)
    finally:
        gen._cn_item = original
    for party in doc["parties"]:
        _vary_name(rng, party)
    return doc


# --- COPY text --------------------------------------------------------------------------------------------------


# COPY's text format: \N for NULL, t/f for booleans, and backslash, tab and line breaks escaped in text.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _line(*values) -> str:
    return (
        "\t".join(
            [
                "\\N" if v is None else "t" if v is True else "f" if v is False else str(v).translate(_ESCAPES)
                for v in values
            ]
        )
        + "\n"
    )


TABLES = {
    "cases_case": (
        "id", "reference", "licence_type", "transaction", "destination_country", "decisive_date",
        "end_use_categories", "end_use_description", "authority_notified", "status", "version", "created_at",
        "updated_at", "submitted_at", "filed_by_id", "organisation_id", "kind",
    ),
    "cases_item": (
        "id", "position", "kind", "description", "control_code", "hs_code", "produced_in", "origin_country",
        "technology_origin", "quantity_amount", "quantity_unit", "value_amount", "value_currency",
        "deep_processed", "technology_area", "public_domain", "case_id",
    ),
    "cases_itemelement": ("element", "form", "mass_fraction", "item_id"),
    "cases_itemcontent": ("control_code", "element", "form", "origin_country", "value_share", "item_id"),
    "cases_party": ("id", "position", "role", "name", "address", "country", "category", "case_id"),
    "cases_partyowner": ("name", "country", "share", "party_id"),
    "screening_screening": (
        "id", "trigger", "decisive_date", "outcome", "determination", "facts_digest", "created_at", "case_id",
        "version_id",
    ),
    "permits_permit": (
        "id", "number", "destination_country", "end_user_name", "end_user_country", "valid_from", "valid_to",
        "standard_conditions", "conditions_text", "status", "status_reason", "version", "issued_at", "updated_at",
        "case_id", "issued_by_id", "licence_type_id", "organisation_id", "rule_set_id", "screening_id",
    ),
    "permits_permititem": (
        "position", "description", "control_code", "quantity_limit", "quantity_unit", "value_limit",
        "value_currency", "permit_id",
    ),
    "rechecks_permitfacet": ("kind", "value", "permit_id"),
}  # fmt: skip
# Tables whose ids the benchmark assigns (other rows point at them); the rest take their sequence's next value.
ASSIGNED = ("cases_case", "cases_item", "cases_party", "screening_screening", "permits_permit")


# Set in the parent before the workers fork: the compiled rule set, the party matcher, the ids to point at.
_SHARED: dict = {}


def _chunk(job: tuple[int, int, int]) -> tuple[int, dict[str, str], dict[str, int]]:
    """Generate, screen and render one chunk: (chunk number, COPY text per table, rows per table)."""
    from rechecks.facets import permit_facets
    from screening.engine import screen_document

    index, first, count = job
    s = _SHARED
    rng = random.Random(f"{s['seed']}:{index}")
    out: dict[str, list[str]] = {table: [] for table in TABLES}
    now = s["now"]
    for n in range(first, first + count):
        doc = generate_document(rng, n)
        org_id, officer_id = s["organisations"][(doc["exporter"]["name"], doc["exporter"]["country"])]
        doc["reference"] = f"BP{s['seed']}-{n:07d}"
        case_id = s["base"]["cases_case"] + n
        decisive = doc["decisive_date"]
        end_use = doc["end_use"]
        out["cases_case"].append(
            _line(
                case_id,
                doc["reference"],
                "single",
                doc["transaction"],
                doc["destination_country"],
                decisive,
                json.dumps(end_use["categories"]),
                "",
                bool(end_use.get("authority_notified")),
                "approved",
                1,
                now,
                now,
                now,
                officer_id,
                org_id,
                "new",
            )  # fmt: skip
        )
        for position, item in enumerate(doc["items"]):
            item_id = s["base"]["cases_item"] + n * ITEMS + position
            value = item.get("value")
            quantity = item.get("quantity")
            out["cases_item"].append(
                _line(
                    item_id,
                    position,
                    item["kind"],
                    item["description"],
                    item.get("control_code", ""),
                    item.get("hs_code", ""),
                    item.get("produced_in", ""),
                    item.get("origin_country", ""),
                    item.get("technology_origin", ""),
                    quantity["amount"] if quantity else None,
                    quantity["unit"] if quantity else "",
                    value["amount"] if value else None,
                    value["currency"] if value else "",
                    bool(item.get("deep_processed")),
                    item.get("technology_area", ""),
                    bool(item.get("public_domain")),
                    case_id,
                )  # fmt: skip
            )
            for element in item.get("elements") or ():
                out["cases_itemelement"].append(
                    _line(element["element"], element["form"], element.get("mass_fraction"), item_id)
                )
            for part in item.get("content") or ():
                out["cases_itemcontent"].append(
                    _line(
                        part.get("control_code", ""),
                        part.get("element", ""),
                        part.get("form", ""),
                        part["origin_country"],
                        part["value_share"],
                        item_id,
                    )  # fmt: skip
                )
            out["permits_permititem"].append(
                _line(
                    position,
                    item["description"][:2000],
                    item.get("control_code", ""),
                    quantity["amount"] if quantity else 0,
                    quantity["unit"] if quantity else "",
                    value["amount"] if value else 0,
                    value["currency"] if value else "USD",
                    s["base"]["permits_permit"] + n,
                )  # fmt: skip
            )
        for position, party in enumerate(doc["parties"]):
            party_id = s["base"]["cases_party"] + n * PARTIES + position
            out["cases_party"].append(
                _line(
                    party_id,
                    position,
                    party["role"],
                    party["name"],
                    party.get("address", ""),
                    party["country"],
                    party.get("category", "commercial"),
                    case_id,
                )  # fmt: skip
            )
            for owner in party.get("owners") or ():
                out["cases_partyowner"].append(_line(owner["name"], owner.get("country", ""), owner["share"], party_id))
        determination = screen_document(doc, s["rule_set"], matcher=s["matcher"])
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()
        screening_id = s["base"]["screening_screening"] + n
        out["screening_screening"].append(
            _line(
                screening_id,
                "submission",
                decisive,
                determination["outcome"],
                json.dumps(determination),
                digest,
                now,
                case_id,
                s["version_id"],
            )  # fmt: skip
        )
        end_user = next((p for p in doc["parties"] if p["role"] == "end_user"), doc["parties"][0])
        permit_id = s["base"]["permits_permit"] + n
        out["permits_permit"].append(
            _line(
                permit_id,
                f"PB{s['seed']}-{n:07d}",
                doc["destination_country"],
                end_user["name"],
                end_user["country"],
                s["valid_from"],
                s["valid_to"],
                "[]",
                "",
                "issued",
                "",
                1,
                now,
                now,
                case_id,
                s["reviewer_id"],
                s["licence_type_id"],
                org_id,
                s["version_id"],
                screening_id,
            )  # fmt: skip
        )
        for kind, value in sorted(permit_facets(doc)):
            out["rechecks_permitfacet"].append(_line(kind, value, permit_id))
    return index, {t: "".join(lines) for t, lines in out.items()}, {t: len(lines) for t, lines in out.items()}


# --- Writing ----------------------------------------------------------------------------------------------------


def _marker(cursor) -> dict | None:
    cursor.execute(
        f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (seed bigint PRIMARY KEY, permits integer NOT NULL, "
        "first_permit bigint NOT NULL, last_permit bigint NOT NULL, rows jsonb NOT NULL, "
        "created_at timestamptz NOT NULL DEFAULT now())"
    )
    cursor.execute(f"SELECT seed, permits, first_permit, last_permit, rows FROM {MARKER_TABLE}")
    row = cursor.fetchone()
    if row is None:
        return None
    seed, permits, first, last, rows = row
    return {"seed": seed, "permits": permits, "first": first, "last": last, "rows": rows}


def _organisations(seed: int) -> dict[tuple[str, str], tuple[int, int]]:
    """The generator's exporters as organisations, each with an officer who filed its cases."""
    from accounts.models import Organisation, User
    from accounts.roles import Role
    from accounts.services import organisation_create, user_create

    out = {}
    for country, names in gen.EXPORTERS.items():
        for number, name in enumerate(names):
            org = Organisation.objects.filter(name=name, country=country).first() or organisation_create(
                name=name, country=country
            )
            username = f"bench-officer-{seed}-{country.lower()}{number}"
            officer = User.objects.filter(username=username).first() or user_create(
                username=username, password=None, organisation=org, roles=[Role.OFFICER]
            )
            out[(name, country)] = (org.pk, officer.pk)
    return out


def _skip_foreign_key_checks(connection) -> None:
    """For this transaction, no foreign-key triggers: the rows point at ids reserved above, by construction, and
    checking two million references at commit would take longer than writing them. Needs a superuser (a local
    benchmark database); without one, the checks run."""
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        pass


def _reserve(cursor, table: str, count: int) -> int:
    """The first of `count` consecutive ids taken from the table's sequence (the rows are written with them)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute("SELECT nextval(%s)", [sequence])
    first = cursor.fetchone()[0]
    cursor.execute("SELECT setval(%s, %s)", [sequence, first + count])
    return first


def populate(
    permits: int = 100_000, seed: int = DEFAULT_SEED, *, processes: int | None = None, verbose: bool = True
) -> Population:
    """A register of `permits` permits in force (see the module's note). Idempotent per database: a register
    already written with this seed and size is reused; one of another seed or size is refused (use a fresh
    database), since a re-check reads every permit in force."""
    import io

    from django.core.management import call_command
    from django.db import connection, connections, transaction

    from accounts.roles import Role
    from accounts.services import user_create
    from parties.screening import party_matcher
    from screening.models import LicenceType
    from screening.selectors import compiled_rule_set, rule_set_in_force

    started = time.perf_counter()
    with connection.cursor() as cursor:
        marker = _marker(cursor)
    if marker is not None:
        if (marker["seed"], marker["permits"]) != (seed, permits):
            raise RuntimeError(
                f"this database holds a register of {marker['permits']} permits (seed {marker['seed']}); "
                f"use a fresh database for {permits} permits with seed {seed}"
            )
        return Population(permits, seed, (marker["first"], marker["last"]), True, 0.0, marker["rows"])

    # Lists before permits: an import with permits in force would start a re-check of them all.
    call_command("load_shipped_lists", only=["CN-CONTROL", "CN-WATCH", "CN-UEL"], stdout=io.StringIO())
    version = rule_set_in_force()
    rule_set = compiled_rule_set(version)
    licence_type = LicenceType.objects.get(version=version, code="single")
    reviewer = user_create(username=f"bench-reviewer-{seed}", password=None, roles=[Role.REVIEWER])
    organisations = _organisations(seed)
    # Every list's version in force from 2024-12 on: one matcher serves every decisive date of the generator.
    matcher = party_matcher(on=gen.FIRST_DAY, rule_set=rule_set)

    with connection.cursor() as cursor:
        # Sequences are not transactional: ids reserved here stay unused if the write below fails, no harm.
        counts = {"cases_item": ITEMS, "cases_party": PARTIES}
        base = {t: _reserve(cursor, t, permits * counts.get(t, 1)) for t in ASSIGNED}
    _SHARED.update(
        seed=seed, base=base, organisations=organisations, rule_set=rule_set, matcher=matcher,
        version_id=version.pk, licence_type_id=licence_type.pk, reviewer_id=reviewer.pk,
        now=datetime.now(UTC).isoformat(), valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31),
    )  # fmt: skip
    jobs = [(i, start, min(CHUNK, permits - start)) for i, start in enumerate(range(0, permits, CHUNK))]
    rows = dict.fromkeys(TABLES, 0)
    # The workers only compute. They fork before any connection is open, so none shares the parent's socket.
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes or os.cpu_count() or 1) as pool, transaction.atomic():
        connection.ensure_connection()
        raw = connection.connection  # the psycopg connection, inside Django's transaction
        _skip_foreign_key_checks(connection)
        for done, (_, texts, counts) in enumerate(pool.imap(_chunk, jobs), 1):
            with raw.cursor() as cursor:
                for table, columns in TABLES.items():
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        copy.write(texts[table])
            for table, count in counts.items():
                rows[table] += count
            if verbose and done % 10 == 0:
                print(f"   population: {done * CHUNK:,} of {permits:,} ({time.perf_counter() - started:.0f} s)")
        first = base["permits_permit"]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (seed, permits, first_permit, last_permit, rows) "
                "VALUES (%s, %s, %s, %s, %s)",
                [seed, permits, first, first + permits - 1, json.dumps(rows)],
            )
    _SHARED.clear()
    # As autovacuum would leave a register that has lived a while: statistics for the planner, and the visibility
    # map that lets index-only scans skip the heap.
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    seconds = time.perf_counter() - started
    return Population(permits, seed, (first, first + permits - 1), False, seconds, rows)


def check_sample(population: Population, *, sample: int = 200, seed: int = 1) -> None:
    """The written rows read back as the product reads them: a sample's facets equal `permit_facets` of the
    case document the re-check builds (`rechecks.casefacts.case_documents`), and its stored determination equals
    screening that document again. Raises on the first difference."""
    from parties.screening import party_matcher
    from permits.models import Permit
    from rechecks.casefacts import case_documents
    from rechecks.facets import permit_facets
    from rechecks.models import PermitFacet
    from screening.engine import screen_document
    from screening.selectors import compiled_rule_set

    first, last = population.permit_ids
    ids = random.Random(seed).sample(range(first, last + 1), min(sample, last - first + 1))
    permits = list(Permit.objects.filter(pk__in=ids).select_related("rule_set", "screening"))
    if len(permits) != len(ids):
        raise RuntimeError(f"expected {len(ids)} sampled permits, found {len(permits)}")
    documents = case_documents(p.case_id for p in permits)
    stored: dict[int, set] = {}
    facets = PermitFacet.objects.filter(permit_id__in=ids).values_list("permit_id", "kind", "value")
    for permit_id, kind, value in facets:
        stored.setdefault(permit_id, set()).add((kind, value))
    rule_set = compiled_rule_set(permits[0].rule_set)
    matcher = party_matcher(on=gen.FIRST_DAY, rule_set=rule_set)
    for permit in permits:
        doc = documents[permit.case_id]
        if permit_facets(doc) != stored.get(permit.pk):
            raise RuntimeError(f"permit {permit.pk}: facets differ from permit_facets of its case document")
        if screen_document(doc, rule_set, matcher=matcher) != permit.screening.determination:
            raise RuntimeError(f"permit {permit.pk}: stored determination differs from screening its case again")
