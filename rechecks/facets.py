"""Which permits a change can touch. Pure: case documents and rule packs in, facets out; no database.

A permit's facets are the facts of its case that some rule needs before it can fire on it: control codes,
elements, technology areas, origins, destination, end-use categories, party categories, parties. A rule's
*reach* is one condition every permit it fires on must meet, written as facets (the permit has at least one):
a listed-item rule cannot fire on a permit with none of its control-code prefixes and none of its entries'
elements, whatever else changes. A change to a rule set touches the reach of every rule it can alter, in the old
version and in the new one; a permit outside all of them gets the same determination from both versions.

Cascades are covered by the same argument: a case or party rule that needs a controlled item fires differently
only when some item rule's hits changed, and those permits are in that item rule's reach; an exclusion only
suppresses the hits of the rules it names, so its reach is theirs.

`FULL` means the change can touch any permit (a jurisdiction's home countries, a party-list rule, a list in the
pack): the run then selects every permit in force."""

from datetime import date, timedelta

from screening.engine.facts import normalise_code
from screening.engine.ruleset import CompiledRuleSet, Rule, compile_rule_set
from screening.rulepack import diff_packs

FULL = None  # a selection that cannot be narrowed

# A facet: (kind, value, is_prefix). Control codes are matched by prefix, the rest exactly.
Facet = tuple[str, str, bool]


def permit_facets(doc: dict) -> set[tuple[str, str]]:
    """The facets of a case document (the case a permit was issued on)."""
    exporter_country = doc["exporter"]["country"]
    out: set[tuple[str, str]] = {("destination", doc["destination_country"])}
    for item in doc["items"]:
        code = normalise_code(item.get("control_code"))
        if code:
            out.add(("control_code", code))
        produced_in = item.get("produced_in") or exporter_country
        out.add(("origin", item.get("origin_country") or produced_in))
        if item.get("technology_origin"):
            out.add(("technology_origin", item["technology_origin"]))
        if item.get("technology_area"):
            out.add(("technology_area", item["technology_area"]))
        for element in item.get("elements") or ():
            out.add(("element", element["element"]))
        for part in item.get("content") or ():
            out.add(("content_origin", part["origin_country"]))
    end_use = doc.get("end_use") or {}
    for category in end_use.get("categories") or ():
        out.add(("end_use", category))
    if end_use.get("authority_notified"):
        out.add(("flag", "authority_notified"))
    for party in doc.get("parties") or ():
        out.add(("party_category", party.get("category") or "commercial"))
        out.add(("party", party_value(party["country"], party["name"])))
        for owner in party.get("owners") or ():
            out.add(("party", party_value(owner.get("country") or "", owner["name"])))
    return {(kind, value[:400]) for kind, value in out}


def party_value(country: str, name: str) -> str:
    return f"{country or '--'}|{name}"


def split_party_value(value: str) -> tuple[str, str]:
    country, _, name = value.partition("|")
    return ("" if country == "--" else country), name


def _entry_facets(rule: Rule) -> set[Facet]:
    facets: set[Facet] = {("control_code", p, True) for p in rule.code_prefixes}
    facets |= {("element", e.element, False) for e in rule.entries if e.element}
    return facets


def _element_facets(rule: Rule) -> set[Facet] | None:
    elements = rule.conditions.get("item_elements")
    if elements:
        return {("element", e, False) for e in elements}
    return None


def _destination_facets(rule: Rule) -> set[Facet] | None:
    if rule.destinations is not None:
        return {("destination", c, False) for c in rule.destinations}
    return None


def rule_reach(rule: Rule) -> set[Facet] | None:
    """Facets one of which every permit the rule can fire on has; FULL when none can be named."""
    c = rule.conditions
    t = rule.type
    if t == "listed_item":
        return _entry_facets(rule)
    if t == "technology":
        return _entry_facets(rule) | {("technology_area", a, False) for a in c.get("technology_areas", ())}
    if t == "content_ratio":
        return {("content_origin", c["origin"], False)}
    if t == "foreign_direct_product":
        return {("technology_origin", c["technology_origin"], False)}
    if t == "origin_reexport":
        if rule.code_prefixes:
            return _entry_facets(rule)
        return _element_facets(rule) or {("origin", c["origin"], False)}
    if t == "destination":
        if rule.code_prefixes:
            return _entry_facets(rule)
        return _element_facets(rule) or _destination_facets(rule)
    if t in ("catch_all", "end_use"):
        facets = {("end_use", k, False) for k in c.get("end_use_categories", ())}
        if c.get("also_when_authority_notified"):
            facets.add(("flag", "authority_notified", False))
        return facets
    if t == "end_user_category":
        return {("party_category", k, False) for k in c.get("categories", ())}
    # party_list (any party may match a list) and anything unknown: no narrower condition.
    return _destination_facets(rule)


def _rules_reach(codes: set[str], rule_sets: list[CompiledRuleSet]) -> set[Facet] | None:
    by_code: dict[str, list[Rule]] = {}
    for rs in rule_sets:
        for rule in rs.rules:
            by_code.setdefault(rule.code, []).append(rule)
    # An exclusion's reach is the reach of the rules it can take hits from.
    pending = set(codes)
    seen: set[str] = set()
    facets: set[Facet] = set()
    while pending:
        code = pending.pop()
        if code in seen:
            continue
        seen.add(code)
        for rule in by_code.get(code, ()):
            if rule.type == "exclusion":
                pending |= set(rule.conditions.get("excludes", ()))
                continue
            reach = rule_reach(rule)
            if reach is FULL:
                return FULL
            facets |= reach
    return facets


def _rows(section_diff: dict) -> list[dict]:
    rows = list(section_diff.get("added", [])) + list(section_diff.get("removed", []))
    return rows


def touched_facets(old_pack: dict, new_pack: dict) -> set[Facet] | None:
    """The facets a change from `old_pack` to `new_pack` can touch (see the module's note), or FULL."""
    diff = diff_packs(old_pack, new_pack)
    if not diff:
        return set()
    if "jurisdictions" in diff or "lists" in diff:
        return FULL
    old, new = compile_rule_set(old_pack), compile_rule_set(new_pack)
    rule_sets = [old, new]
    codes: set[str] = set()

    def changed_keys(section: str) -> set[str]:
        d = diff.get(section) or {}
        keys = {c["key"] for c in d.get("changed", [])}
        from screening.rulepack import SECTION_KEYS

        fields = SECTION_KEYS[section]
        keys |= {"/".join(str(r.get(f)) for f in fields) for r in _rows(d)}
        return keys

    codes |= changed_keys("rules") if "rules" in diff else set()
    provisions = changed_keys("provisions") if "provisions" in diff else set()
    instruments = changed_keys("instruments") if "instruments" in diff else set()

    if "suspensions" in diff:
        keys = changed_keys("suspensions")
        for pack in (old_pack, new_pack):
            for s in pack.get("suspensions", []):
                if s["key"] not in keys:
                    continue
                kind, target = next(iter(s["target"].items()))
                if kind == "list":
                    return FULL
                {"rule": codes, "provision": provisions, "instrument": instruments}[kind].add(target)
    for rs in rule_sets:
        for rule in rs.rules:
            if rule.provision.key in provisions or rule.instrument.key in instruments:
                codes.add(rule.code)
        # A suspension that an instrument's change moves (its own dates do not, but its citation shows) is
        # covered by the rules it targets.
        for s in rs.suspensions:
            if s.by.key in instruments:
                for rule in rs.rules:
                    if (s.target_kind, s.target) in (
                        ("rule", rule.code),
                        ("provision", rule.provision.key),
                        ("instrument", rule.instrument.key),
                    ):
                        codes.add(rule.code)

    if "control_entries" in diff:
        entry_codes = {key.split("/", 1)[1] for key in changed_keys("control_entries")}
        entry_codes = {normalise_code(code) for code in entry_codes}
        for rs in rule_sets:
            for rule in rs.rules:
                prefixes = rule.code_prefixes + tuple(rule.conditions.get("_content_prefixes", ()))
                if any(code.startswith(p) for code in entry_codes for p in prefixes):
                    codes.add(rule.code)

    if "country_groups" in diff:
        groups = {f"group:{key}" for key in changed_keys("country_groups")}
        for pack in (old_pack, new_pack):
            if any(set(j["home"]) & groups for j in pack["jurisdictions"]):
                return FULL
            for r in pack["rules"]:
                used = set(r.get("destinations") or ()) | set(r.get("exclude_destinations") or ())
                for t in (r.get("conditions") or {}).get("thresholds_by_destination", ()):
                    used |= set(t["destinations"])
                if used & groups:
                    codes.add(r["code"])
    # licence_types decide validity, not outcomes: they touch no determination.
    return _rules_reach(codes, rule_sets)


def window_edges(rs: CompiledRuleSet, today: date) -> set[str]:
    """Codes of the rules whose applicability can differ between yesterday and today with no new publication: a
    rule, provision or instrument starting or ending, or a suspension of one starting or ending."""
    yesterday = today - timedelta(days=1)
    codes: set[str] = set()
    for rule in rs.rules:
        starts = rule.effective_from == today
        ends = rule.effective_to == yesterday
        if starts or ends:
            codes.add(rule.code)
    for s in rs.suspensions:
        if s.covers(today) == s.covers(yesterday):
            continue
        if s.target_kind == "list":
            codes |= {r.code for r in rs.rules if r.type == "party_list"}
            continue
        for rule in rs.rules:
            if (s.target_kind, s.target) in (
                ("rule", rule.code),
                ("provision", rule.provision.key),
                ("instrument", rule.instrument.key),
            ):
                codes.add(rule.code)
    return codes


def window_reach(rs: CompiledRuleSet, codes: set[str]) -> set[Facet] | None:
    return _rules_reach(codes, [rs])
