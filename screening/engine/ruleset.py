"""A rule set compiled from a rule pack into plain objects, once, so that it can evaluate many cases.

The rule pack is the whole rule set as one JSON document (screening/contract/rule-pack.schema.json). Compiling
resolves every reference (provision → instrument, group → countries, control entry prefixes) so that the
evaluation loop only compares strings, dates and Decimals."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .facts import normalise_code
from .names import name_key


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@dataclass(frozen=True, slots=True)
class Instrument:
    key: str
    jurisdiction: str
    citation: str
    effective_from: date | None
    effective_to: date | None
    verification: str


@dataclass(frozen=True, slots=True)
class Provision:
    key: str
    instrument: Instrument
    ref: str
    effective_from: date | None
    effective_to: date | None

    @property
    def citation(self) -> str:
        return f"{self.instrument.citation}, {self.ref}" if self.ref else self.instrument.citation


@dataclass(frozen=True, slots=True)
class ControlEntry:
    code: str  # as the regime writes it, for display
    key: str  # normalised, for matching
    jurisdiction: str
    element: str
    forms: frozenset[str]
    description: str


@dataclass(frozen=True, slots=True)
class Suspension:
    key: str
    target_kind: str  # rule | provision | instrument | list
    target: str
    by: Instrument
    first_day: date
    last_day: date | None  # inclusive; None: until further notice

    def covers(self, day: date) -> bool:
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True, slots=True)
class ListEntry:
    list_key: str
    list_name: str
    entry_id: str
    name: str
    key: str
    country: str
    instrument: Instrument | None
    listed_from: date | None
    listed_to: date | None
    # What a reviewer needs beside the name: programmes, licence requirement and policy, Federal Register
    # notice, sub-list, content hash. Carried into the determination's party matches.
    details: dict = field(default_factory=dict)


@dataclass(slots=True)
class Rule:
    code: str
    jurisdiction: str
    type: str
    outcome: str
    provision: Provision
    binds: str  # domestic | foreign | both
    transactions: frozenset[str] | None
    destinations: frozenset[str] | None
    exclude_destinations: frozenset[str]
    effective_from: date | None
    effective_to: date | None
    obligations: tuple[str, ...]
    summary: str
    conditions: dict[str, Any]
    # Filled by compilation for the types that need them:
    entries: tuple[ControlEntry, ...] = ()
    code_prefixes: tuple[str, ...] = ()

    @property
    def citation(self) -> str:
        return self.provision.citation

    @property
    def instrument(self) -> Instrument:
        return self.provision.instrument


@dataclass(slots=True)
class Jurisdiction:
    code: str
    name: str
    adjective: str
    home_countries: frozenset[str]


ITEM_TYPES = frozenset(
    {"listed_item", "technology", "content_ratio", "foreign_direct_product", "origin_reexport", "destination"}
)
DEFAULT_OWNERSHIP_THRESHOLD = Decimal("0.5")


def is_item_rule(rule: Rule) -> bool:
    """Whether the rule finds its hits on item lines (a destination rule does when it names items)."""
    if rule.type == "destination":
        c = rule.conditions
        return bool(rule.code_prefixes or c.get("item_elements") or c.get("item_forms"))
    return rule.type in ITEM_TYPES


@dataclass(slots=True)
class CompiledRuleSet:
    """A rule set ready to evaluate. It is not changed once built: the indexes below are made here, once, so that
    evaluating a case looks rules and suspensions up instead of scanning for them."""

    version: str
    published_at: str | None
    jurisdictions: dict[str, Jurisdiction]
    rules: list[Rule]
    suspensions: list[Suspension]
    groups: dict[str, frozenset[str]]
    list_entries: dict[str, list[ListEntry]] = field(default_factory=dict)  # name key → entries
    lists: dict[str, str] = field(default_factory=dict)  # list key → list name
    instruments: dict[str, Instrument] = field(default_factory=dict)  # key → instrument
    # Indexes, in rule-table order within each jurisdiction:
    rules_by_jurisdiction: dict[str, tuple[Rule, ...]] = field(init=False)
    item_rules: frozenset[str] = field(init=False)  # codes of the rules that find their hits on item lines
    owner_threshold: Decimal = field(init=False)  # the lowest ownership share any party-list rule looks through
    adjectives: dict[str, str] = field(init=False)  # country → adjective of the regime whose only home it is
    _suspensions_by_target: dict[tuple[str, str], tuple[int, ...]] = field(init=False)

    def __post_init__(self) -> None:
        by_jurisdiction: dict[str, list[Rule]] = {}
        for rule in self.rules:
            by_jurisdiction.setdefault(rule.jurisdiction, []).append(rule)
        self.rules_by_jurisdiction = {code: tuple(rules) for code, rules in by_jurisdiction.items()}
        self.item_rules = frozenset(rule.code for rule in self.rules if is_item_rule(rule))
        thresholds = [
            r.conditions["_ownership"] for r in self.rules if r.type == "party_list" and "_ownership" in r.conditions
        ]
        self.owner_threshold = min(thresholds, default=DEFAULT_OWNERSHIP_THRESHOLD)
        self.adjectives = {}
        for jurisdiction in self.jurisdictions.values():
            if len(jurisdiction.home_countries) == 1:
                self.adjectives.setdefault(next(iter(jurisdiction.home_countries)), jurisdiction.adjective)
        by_target: dict[tuple[str, str], list[int]] = {}
        for index, suspension in enumerate(self.suspensions):
            by_target.setdefault((suspension.target_kind, suspension.target), []).append(index)
        self._suspensions_by_target = {target: tuple(indexes) for target, indexes in by_target.items()}

    def suspension_for(self, kinds_and_targets: list[tuple[str, str]], day: date) -> Suspension | None:
        """The suspension in force on `day` for any of the targets, the one that lasts longest (of two that end
        together, the one listed first)."""
        index = self._suspensions_by_target
        found = [i for target in kinds_and_targets for i in index.get(target, ())]
        if not found:
            return None
        best = None
        for i in sorted(set(found)):
            suspension = self.suspensions[i]
            if not suspension.covers(day):
                continue
            if best is None or (suspension.last_day or date.max) > (best.last_day or date.max):
                best = suspension
        return best


class RuleSetError(ValueError):
    pass


def expand_destinations(values, groups: dict[str, frozenset[str]]) -> frozenset[str]:
    countries: set[str] = set()
    for value in values:
        if value.startswith("group:"):
            countries |= groups[value[6:]]
        else:
            countries.add(value)
    return frozenset(countries)


def compile_rule_set(pack: dict, *, version: str | None = None, published_at: str | None = None) -> CompiledRuleSet:
    """Compile a rule pack that has passed validation (screening.rulepack.validate_pack)."""
    groups = {g["code"]: frozenset(g["members"]) for g in pack.get("country_groups", [])}
    jurisdictions = {}
    for j in pack["jurisdictions"]:
        jurisdictions[j["code"]] = Jurisdiction(
            code=j["code"],
            name=j["name"],
            adjective=j.get("adjective") or j["name"],
            home_countries=expand_destinations(j["home"], groups),
        )
    instruments = {
        i["key"]: Instrument(
            key=i["key"],
            jurisdiction=i["jurisdiction"],
            citation=i["citation"],
            effective_from=_date(i.get("effective_from")),
            effective_to=_date(i.get("effective_to")),
            verification=i.get("verification", "inferred"),
        )
        for i in pack["instruments"]
    }
    provisions = {}
    for p in pack.get("provisions", []):
        instrument = instruments[p["instrument"]]
        provisions[p["key"]] = Provision(
            key=p["key"],
            instrument=instrument,
            ref=p.get("ref", ""),
            effective_from=_date(p.get("effective_from")) or instrument.effective_from,
            effective_to=_date(p.get("effective_to")) or instrument.effective_to,
        )
    # A rule may cite a whole instrument: give each instrument a provision of its own.
    for key, instrument in instruments.items():
        provisions.setdefault(key, Provision(key, instrument, "", instrument.effective_from, instrument.effective_to))

    entries = [
        ControlEntry(
            code=e["code"],
            key=normalise_code(e["code"]),
            jurisdiction=e["jurisdiction"],
            element=e.get("element") or "",
            forms=frozenset(e.get("forms") or ()),
            description=e.get("description", ""),
        )
        for e in pack.get("control_entries", [])
    ]

    rules = []
    for r in pack["rules"]:
        provision = provisions[r["provision"]]
        conditions = dict(r.get("conditions") or {})
        prefixes = tuple(normalise_code(c) for c in conditions.get("control_entries", ()))
        rule = Rule(
            code=r["code"],
            jurisdiction=r["jurisdiction"],
            type=r["type"],
            outcome=r["outcome"],
            provision=provision,
            binds=r.get("binds", "both"),
            transactions=frozenset(r["transactions"]) if r.get("transactions") else None,
            destinations=expand_destinations(r["destinations"], groups) if r.get("destinations") else None,
            exclude_destinations=expand_destinations(r.get("exclude_destinations") or (), groups),
            effective_from=_date(r.get("effective_from")) or provision.effective_from,
            effective_to=_date(r.get("effective_to")) or provision.effective_to,
            obligations=tuple(r.get("obligations") or ()),
            summary=r.get("summary", ""),
            conditions=conditions,
            code_prefixes=prefixes,
            entries=tuple(
                e for e in entries if e.jurisdiction == r["jurisdiction"] and any(e.key.startswith(p) for p in prefixes)
            ),
        )
        if rule.type == "content_ratio":
            content_prefixes = tuple(normalise_code(c) for c in conditions.get("content_control_entries", ()))
            rule.conditions["_content_prefixes"] = content_prefixes
            rule.conditions["_content_entries"] = tuple(
                e
                for e in entries
                if e.jurisdiction == r["jurisdiction"] and any(e.key.startswith(p) for p in content_prefixes)
            )
            rule.conditions["_threshold"] = Decimal(str(conditions["threshold"]))
            rule.conditions["_by_destination"] = [
                (expand_destinations(t["destinations"], groups), Decimal(str(t["threshold"])))
                for t in conditions.get("thresholds_by_destination", ())
            ]
        if rule.type == "party_list" and conditions.get("ownership_threshold") is not None:
            rule.conditions["_ownership"] = Decimal(str(conditions["ownership_threshold"]))
        rules.append(rule)

    suspensions = []
    for s in pack.get("suspensions", []):
        first = _date(s["from"])
        to = _date(s.get("to"))
        last = None if to is None else (to if s.get("to_inclusive", True) else to - timedelta(days=1))
        target_kind, target = next(iter(s["target"].items()))
        suspensions.append(Suspension(s["key"], target_kind, target, instruments[s["by"]], first, last))

    list_entries: dict[str, list[ListEntry]] = {}
    lists = {}
    for lst in pack.get("lists", []):
        lists[lst["key"]] = lst["name"]
        for index, e in enumerate(lst.get("entries", [])):
            for name in [e["name"], *e.get("aliases", [])]:
                entry = ListEntry(
                    list_key=lst["key"],
                    list_name=lst["name"],
                    entry_id=e.get("id") or f"{lst['key']}-{index + 1}",
                    name=e["name"],
                    key=name_key(name),
                    country=e.get("country") or "",
                    instrument=instruments.get(e.get("instrument") or ""),
                    listed_from=_date(e.get("listed_from")),
                    listed_to=_date(e.get("listed_to")),
                )
                list_entries.setdefault(entry.key, []).append(entry)

    return CompiledRuleSet(
        version=version or pack.get("version", {}).get("label", "unversioned"),
        published_at=published_at or pack.get("version", {}).get("published_at"),
        jurisdictions=jurisdictions,
        rules=rules,
        suspensions=suspensions,
        groups=groups,
        list_entries=list_entries,
        lists=lists,
        instruments=instruments,
    )
