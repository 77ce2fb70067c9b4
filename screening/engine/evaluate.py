"""The screening engine: case facts + compiled rule set → determination. Pure: no database, no clock.

Order of work for each jurisdiction the case is screened under:
1. keep the rules that bind this exporter (domestic or foreign), this transaction and this destination;
2. item rules (listed item, technology, content ratio, foreign direct product, origin re-export, destination
   with an item filter) find their hits on item lines;
3. exclusions in force take the hits they cover out (suppressed as "excluded"), and say so as a reason;
4. each remaining hit is checked against the decisive date: suspended, not yet in force, expired → suppressed;
   otherwise it fires;
5. case rules (catch-all, end use, destination) and party rules (party lists with ownership, end-user
   category) follow, some only when an item is controlled.
The outcome is the highest outcome of the reasons that fired."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from .facts import CaseFacts, ItemFacts
from .ladder import LOWEST, RANK, highest
from .names import name_key
from .ruleset import CompiledRuleSet, ListEntry, Rule

CONTROL_TYPES = frozenset({"listed_item", "technology", "content_ratio", "foreign_direct_product", "origin_reexport"})
CASE_TYPES = frozenset({"catch_all", "end_use", "destination"})
PARTY_TYPES = frozenset({"party_list", "end_user_category"})

ELEMENT_NAMES = {
    "Sc": "scandium", "Y": "yttrium", "La": "lanthanum", "Ce": "cerium", "Pr": "praseodymium", "Nd": "neodymium",
    "Pm": "promethium", "Sm": "samarium", "Eu": "europium", "Gd": "gadolinium", "Tb": "terbium",
    "Dy": "dysprosium", "Ho": "holmium", "Er": "erbium", "Tm": "thulium", "Yb": "ytterbium", "Lu": "lutetium",
    "Ga": "gallium", "Ge": "germanium", "Sb": "antimony", "C": "graphite",
}  # fmt: skip


def _short(text: str, limit: int = 60) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(" ,;") + "…"


def percent(value: Decimal) -> str:
    text = format((value * 100).normalize(), "f")
    return f"{text} %"


@dataclass(slots=True)
class Hit:
    rule: Rule
    item: int | None
    party: int | None
    detail: str
    via_owner: str | None = None
    entry: ListEntry | None = None


@dataclass(frozen=True, slots=True)
class PartyMatch:
    party: int
    entry: ListEntry
    score: float
    matched_name: str
    via_owner: str | None
    owner_share: Decimal | None
    # A potential match below the list's hit threshold: shown for a reviewer to dispose of; fires no rule.
    review: bool = False
    explanation: dict | None = None


@dataclass(frozen=True, slots=True)
class ListMatch:
    """What a matcher answers for one name: the entry, the score, the name or alias that matched, whether it is
    only a potential match for review, and how it matched."""

    entry: ListEntry
    score: float
    matched_name: str
    review: bool = False
    explanation: dict | None = None


def exact_matcher(rule_set: CompiledRuleSet):
    """The rule set's own lists, matched on the normalised name."""

    def match(name: str, country: str) -> list[ListMatch]:
        return [
            ListMatch(entry, 1.0, entry.name, explanation={"method": "exact after normalisation"})
            for entry in rule_set.list_entries.get(name_key(name), ())
        ]

    return match


# ---------------------------------------------------------------------------------------------------------------
# Item matchers: each returns a readable detail when the rule's conditions hold for the item, else None.


def _entry_for_item(rule: Rule, item: ItemFacts) -> str | None:
    """The control entry (of the rule's prefixes) that the item falls under, as a sentence fragment."""
    if item.control_code and any(item.control_code.startswith(p) for p in rule.code_prefixes):
        return f"is declared under control code {item.declared_code}"
    for element in item.elements:
        for entry in rule.entries:
            if entry.element == element.element and element.form in entry.forms:
                return (
                    f"contains {ELEMENT_NAMES.get(element.element, element.element)} ({element.form}), "
                    f"control entry {entry.code}"
                )
    return None


def _kinds_ok(rule: Rule, item: ItemFacts, default: tuple[str, ...]) -> bool:
    return item.kind in rule.conditions.get("kinds", default)


def _element_filter(rule: Rule, item: ItemFacts) -> str | None:
    """For rules that name item elements/forms (not control entries): the first element that qualifies."""
    elements = rule.conditions.get("item_elements")
    forms = rule.conditions.get("item_forms")
    for element in item.elements:
        if (not elements or element.element in elements) and (not forms or element.form in forms):
            return f"{ELEMENT_NAMES.get(element.element, element.element)} ({element.form})"
    if not elements and not forms:
        return "the item"
    return None


def match_listed_item(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    if not _kinds_ok(rule, item, ("goods",)):
        return None
    why = _entry_for_item(rule, item)
    return f"Line {item.index + 1} ({_short(item.description)}) {why}." if why else None


def match_technology(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    if not _kinds_ok(rule, item, ("technology", "software", "service")):
        return None
    areas = rule.conditions.get("technology_areas", ())
    if item.technology_area and item.technology_area in areas:
        return (
            f"Line {item.index + 1} ({_short(item.description)}) is {item.kind} for "
            f"{item.technology_area.replace('_', ' ')}."
        )
    if item.control_code and any(item.control_code.startswith(p) for p in rule.code_prefixes):
        return f"Line {item.index + 1} ({_short(item.description)}) is declared under {item.declared_code}."
    return None


def match_content_ratio(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    if not item.content:  # most lines declare no foreign content: nothing to add up
        return None
    c = rule.conditions
    origin = c["origin"]
    if not _kinds_ok(rule, item, ("goods",)) or item.produced_in == origin:
        return None
    if (c.get("item_elements") or c.get("item_forms")) and _element_filter(rule, item) is None:
        return None
    content_elements = c.get("content_elements")
    content_forms = c.get("content_forms")
    content_prefixes = c["_content_prefixes"]
    content_entries = c["_content_entries"]
    share = Decimal(0)
    parts = []
    for part in item.content:
        if part.origin_country != origin:
            continue
        if content_elements and part.element not in content_elements:
            continue
        if content_forms and part.form not in content_forms:
            continue
        if content_prefixes and not (
            (part.control_code and any(part.control_code.startswith(p) for p in content_prefixes))
            or any(e.element == part.element and part.form in e.forms for e in content_entries)
        ):
            continue
        share += part.value_share
        parts.append(ELEMENT_NAMES.get(part.element, part.control_code or "controlled input"))
    if not parts:
        return None
    threshold = c["_threshold"]
    for countries, group_threshold in c["_by_destination"]:
        if facts.destination_country in countries:
            threshold = group_threshold
            break
    comparator = c.get("comparator", ">=")
    meets = share >= threshold if comparator == ">=" else share > threshold
    if not meets:
        return None
    relation = "at or above" if comparator == ">=" else "above"
    adjective = _adjective(rs, origin)
    return (
        f"Line {item.index + 1} ({_short(item.description)}), made in {item.produced_in}, contains {adjective}-origin "
        f"{', '.join(sorted(set(parts)))} worth {percent(share)} of its value, {relation} the "
        f"{percent(threshold)} threshold."
    )


def _adjective(rs: CompiledRuleSet, country: str) -> str:
    return rs.adjectives.get(country, country)


def match_foreign_direct_product(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    origin = rule.conditions["technology_origin"]
    if not _kinds_ok(rule, item, ("goods",)) or item.produced_in == origin or item.technology_origin != origin:
        return None
    what = _entry_for_item(rule, item) if rule.code_prefixes else _element_filter(rule, item)
    if what is None:
        return None
    return (
        f"Line {item.index + 1} ({_short(item.description)}) was made in {item.produced_in} with "
        f"{_adjective(rs, origin)}-origin "
        f"technology and {what}."
    )


def match_origin_reexport(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    origin = rule.conditions["origin"]
    if not _kinds_ok(rule, item, ("goods",)) or item.origin_country != origin:
        return None
    what = _entry_for_item(rule, item) if rule.code_prefixes else _element_filter(rule, item)
    if what is None:
        return None
    return (
        f"Line {item.index + 1} ({_short(item.description)}) is {_adjective(rs, origin)}-origin, "
        f"re-exported as it is, and {what}."
    )


def match_destination_item(rule: Rule, item: ItemFacts, facts: CaseFacts, rs: CompiledRuleSet) -> str | None:
    what = _entry_for_item(rule, item) if rule.code_prefixes else _element_filter(rule, item)
    if what is None:
        return None
    return f"Line {item.index + 1} ({_short(item.description)}) {what} and goes to {facts.destination_country}."


ITEM_MATCHERS = {
    "listed_item": match_listed_item,
    "technology": match_technology,
    "content_ratio": match_content_ratio,
    "foreign_direct_product": match_foreign_direct_product,
    "origin_reexport": match_origin_reexport,
    "destination": match_destination_item,
}


# ---------------------------------------------------------------------------------------------------------------


class _Result:
    def __init__(self) -> None:
        self.reasons: list[dict] = []
        self.suppressed: dict[tuple, dict] = {}
        self.obligations: dict[tuple, dict] = {}
        self.outcomes: list[str] = []

    def fire(self, hit: Hit, *, outcome: str | None = None) -> None:
        rule = hit.rule
        outcome = outcome or rule.outcome
        self.outcomes.append(outcome)
        self.reasons.append(
            {
                "rule": rule.code,
                "outcome": outcome,
                "citation": rule.citation,
                "item": hit.item,
                "party": hit.party,
                "detail": hit.detail,
                "jurisdiction": rule.jurisdiction,
                "verification": rule.instrument.verification,
            }
        )
        for text in rule.obligations:
            self.obligations.setdefault((rule.code, text), {"rule": rule.code, "text": text})

    def suppress(self, hit: Hit, why: str, by: str | None, until: date | None, returns_on: date | None) -> None:
        key = (hit.rule.code, hit.item, hit.party, why)
        if key in self.suppressed:
            return
        entry = {
            "rule": hit.rule.code,
            "why": why,
            "by": by,
            "until": until.isoformat() if until else None,
            "item": hit.item,
            "party": hit.party,
            "detail": hit.detail,
            "citation": hit.rule.citation,
            "outcome": hit.rule.outcome,
        }
        if returns_on:
            entry["returns_on"] = returns_on.isoformat()
        self.suppressed[key] = entry


def _date_check(hit: Hit, rs: CompiledRuleSet, day: date, result: _Result) -> bool:
    """True when the hit applies on `day`; otherwise records why not and returns False."""
    rule = hit.rule
    targets = [("rule", rule.code), ("provision", rule.provision.key), ("instrument", rule.instrument.key)]
    if hit.entry is not None:
        if hit.entry.instrument is not None:
            targets.append(("instrument", hit.entry.instrument.key))
        targets.append(("list", hit.entry.list_key))
    suspension = rs.suspension_for(targets, day)
    if suspension is not None:
        returns = suspension.last_day + timedelta(days=1) if suspension.last_day else None
        result.suppress(hit, "suspended", suspension.by.citation, suspension.last_day, returns)
        return False
    start = rule.effective_from
    if hit.entry is not None and hit.entry.listed_from and (start is None or hit.entry.listed_from > start):
        start = hit.entry.listed_from
    if start is not None and day < start:
        result.suppress(hit, "not_yet_in_force", rule.instrument.citation, start - timedelta(days=1), start)
        return False
    end = rule.effective_to
    if hit.entry is not None and hit.entry.listed_to and (end is None or hit.entry.listed_to < end):
        end = hit.entry.listed_to
    if end is not None and day > end:
        result.suppress(hit, "expired", rule.instrument.citation, None, None)
        return False
    return True


def _in_force(rule: Rule, rs: CompiledRuleSet, day: date) -> bool:
    if rule.effective_from and day < rule.effective_from:
        return False
    if rule.effective_to and day > rule.effective_to:
        return False
    targets = [("rule", rule.code), ("provision", rule.provision.key), ("instrument", rule.instrument.key)]
    return rs.suspension_for(targets, day) is None


def _exclusion_applies(exclusion: Rule, hit: Hit, facts: CaseFacts) -> bool:
    when = exclusion.conditions.get("when", {})
    if hit.item is not None:
        item = facts.items[hit.item]
        if when.get("item_deep_processed") and not item.deep_processed:
            return False
        if when.get("item_public_domain") and not item.public_domain:
            return False
    elif when.get("item_deep_processed") or when.get("item_public_domain"):
        return False
    categories = when.get("end_use_categories")
    return not (categories and not facts.end_use_categories & set(categories))


def _rule_binds(rule: Rule, facts: CaseFacts, domestic: bool) -> bool:
    if rule.binds == "domestic" and not domestic:
        return False
    if rule.binds == "foreign" and domestic:
        return False
    if rule.transactions is not None and facts.transaction not in rule.transactions:
        return False
    if rule.destinations is not None and facts.destination_country not in rule.destinations:
        return False
    return facts.destination_country not in rule.exclude_destinations


def screen_parties(facts: CaseFacts, rs: CompiledRuleSet, matcher, owner_threshold: Decimal) -> list[PartyMatch]:
    """Every list match for the parties and their owners (owners holding at least `owner_threshold`)."""
    found: list[PartyMatch] = []
    for party in facts.parties:
        for m in matcher(party.name, party.country):
            found.append(PartyMatch(party.index, m.entry, m.score, m.matched_name, None, None, m.review, m.explanation))
        for owner in party.owners:
            if owner.share < owner_threshold:
                continue
            for m in matcher(owner.name, owner.country):
                found.append(
                    PartyMatch(
                        party.index, m.entry, m.score, m.matched_name, owner.name, owner.share, m.review, m.explanation
                    )
                )
    return found


def _party_hits(rule: Rule, facts: CaseFacts, matches: list[PartyMatch]) -> list[Hit]:
    hits = []
    c = rule.conditions
    if rule.type == "party_list":
        lists = set(c["lists"])
        roles = c.get("roles")
        threshold = c.get("_ownership")
        for m in matches:
            party = facts.parties[m.party]
            if m.review or m.entry.list_key not in lists or (roles and party.role not in roles):
                continue
            if m.via_owner is not None:
                if threshold is None or m.owner_share < threshold:
                    continue
                detail = (
                    f"{party.name} ({party.role.replace('_', ' ')}) is owned {percent(m.owner_share)} by "
                    f"{m.via_owner}, which is on the {m.entry.list_name} as {m.entry.name}."
                )
            else:
                detail = (
                    f"{party.name} ({party.role.replace('_', ' ')}) is on the {m.entry.list_name} as {m.entry.name}."
                )
            hits.append(Hit(rule, None, m.party, detail, via_owner=m.via_owner, entry=m.entry))
    elif rule.type == "end_user_category":
        roles = c.get("roles", ("end_user",))
        for party in facts.parties:
            if party.category in c["categories"] and party.role in roles:
                hits.append(
                    Hit(
                        rule,
                        None,
                        party.index,
                        f"{party.name} ({party.role.replace('_', ' ')}) is a {party.category} user in {party.country}.",
                    )
                )
    return hits


def _case_hit(rule: Rule, facts: CaseFacts) -> Hit | None:
    c = rule.conditions
    if rule.type == "destination":
        return Hit(rule, None, None, f"The destination is {facts.destination_country}.")
    categories = set(c.get("end_use_categories", ()))
    known = sorted(facts.end_use_categories & categories)
    if known:
        names = ", ".join(k.replace("_", " ") for k in known)
        return Hit(rule, None, None, f"The exporter knows of an end use in: {names}.")
    if c.get("also_when_authority_notified") and facts.authority_notified:
        return Hit(rule, None, None, "An authority has told the exporter the items may serve a controlled end use.")
    return None


def evaluate(facts: CaseFacts, rs: CompiledRuleSet, *, matcher=None) -> dict:
    """Screen one case. Returns the determination as a dict shaped by determination.schema.json."""
    day = facts.decisive_date
    matcher = matcher or exact_matcher(rs)
    result = _Result()
    wanted = facts.jurisdictions or tuple(rs.jurisdictions)
    by_jurisdiction: dict[str, str] = {}

    matches = screen_parties(facts, rs, matcher, rs.owner_threshold)
    live_matches = [m for m in matches if _entry_live(m.entry, rs, day)]

    for code in wanted:
        jurisdiction = rs.jurisdictions.get(code)
        if jurisdiction is None:
            continue
        before = len(result.outcomes)
        domestic = facts.exporter_country in jurisdiction.home_countries
        rules = [r for r in rs.rules_by_jurisdiction.get(code, ()) if _rule_binds(r, facts, domestic)]
        exclusions = [r for r in rules if r.type == "exclusion"]
        item_rules = rs.item_rules

        hits: list[Hit] = []
        for rule in rules:
            if rule.code in item_rules:
                matcher_fn = ITEM_MATCHERS[rule.type]
                for item in facts.items:
                    detail = matcher_fn(rule, item, facts, rs)
                    if detail:
                        hits.append(Hit(rule, item.index, None, detail))

        controlled_items: set[int] = set()
        exclusions_used: dict[str, Hit] = {}
        for hit in _apply_exclusions(hits, exclusions, facts, rs, day, result, exclusions_used):
            if _date_check(hit, rs, day, result):
                result.fire(hit)
                if hit.rule.type in CONTROL_TYPES:
                    controlled_items.add(hit.item)

        later: list[Hit] = []
        for rule in rules:
            if rule.conditions.get("requires_controlled_item", rule.type == "end_use") and not controlled_items:
                continue
            if rule.type in CASE_TYPES and rule.code not in item_rules:
                hit = _case_hit(rule, facts)
                if hit:
                    later.append(hit)
            elif rule.type in PARTY_TYPES:
                later.extend(_party_hits(rule, facts, matches))
        for hit in _apply_exclusions(later, exclusions, facts, rs, day, result, exclusions_used):
            if _date_check(hit, rs, day, result):
                result.fire(hit)

        for hit in exclusions_used.values():
            result.fire(hit)
        by_jurisdiction[code] = highest(result.outcomes[before:])

    reasons = sorted(
        result.reasons,
        key=lambda r: (-RANK[r["outcome"]], r["rule"], _sort_index(r["item"]), _sort_index(r["party"])),
    )
    suppressed = sorted(
        result.suppressed.values(), key=lambda s: (s["rule"], _sort_index(s["item"]), _sort_index(s["party"]))
    )
    determination = {
        "outcome": highest(result.outcomes) if result.outcomes else LOWEST,
        "decisive_date": day.isoformat(),
        "rule_set": {"version": rs.version},
        "reasons": reasons,
        "suppressed": suppressed,
        "obligations": list(result.obligations.values()),
        "party_matches": [
            {
                "party": m.party,
                "list": m.entry.list_key,
                "list_name": m.entry.list_name,
                "entry": m.entry.entry_id,
                "entry_name": m.entry.name,
                "matched_name": m.matched_name,
                "score": m.score,
                "via_owner": m.via_owner,
                "status": "review" if m.review else "hit",
                **({"details": m.entry.details} if m.entry.details else {}),
                **({"explanation": m.explanation} if m.explanation else {}),
            }
            for m in _unique_matches(live_matches)
        ],
        "outcome_by_jurisdiction": by_jurisdiction,
    }
    if rs.published_at:
        determination["rule_set"]["published_at"] = rs.published_at
    if facts.reference is not None:
        determination = {"reference": facts.reference, **determination}
    return determination


def _apply_exclusions(hits, exclusions, facts, rs, day, result, used):
    """Yield the hits no exclusion in force covers; record the others as excluded."""
    for hit in hits:
        excluded_by = None
        for exclusion in exclusions:
            if hit.rule.code not in exclusion.conditions.get("excludes", ()):
                continue
            if _exclusion_applies(exclusion, hit, facts) and _in_force(exclusion, rs, day):
                excluded_by = exclusion
                break
        if excluded_by is None:
            yield hit
            continue
        result.suppress(hit, "excluded", excluded_by.citation, excluded_by.effective_to, None)
        key = (excluded_by.code, hit.item)
        if key not in used:
            used[key] = Hit(
                excluded_by,
                hit.item,
                hit.party,
                f"{excluded_by.summary or 'Exclusion applies'}: {hit.rule.code} does not apply"
                + (f" to line {hit.item + 1}." if hit.item is not None else "."),
            )


def _entry_live(entry: ListEntry, rs: CompiledRuleSet, day: date) -> bool:
    if entry.listed_from and day < entry.listed_from:
        return False
    if entry.listed_to and day > entry.listed_to:
        return False
    targets = [("list", entry.list_key)]
    if entry.instrument is not None:
        targets.append(("instrument", entry.instrument.key))
    return rs.suspension_for(targets, day) is None


def _unique_matches(matches: list[PartyMatch]) -> list[PartyMatch]:
    seen = set()
    out = []
    for m in sorted(matches, key=lambda m: (m.party, -m.score, m.entry.list_key, m.entry.entry_id)):
        key = (m.party, m.entry.list_key, m.entry.entry_id, m.via_owner)
        if key not in seen:
            seen.add(key)
            out.append(m)
    return out


def _sort_index(value: int | None) -> int:
    return -1 if value is None else value
