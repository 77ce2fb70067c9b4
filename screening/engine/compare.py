"""How two determinations of the same facts differ: the outcome and the rules that fire or no longer fire."""

from .ladder import RANK


def compare_determinations(old: dict, new: dict) -> dict | None:
    """None when nothing that matters changed; else the change, stricter or looser."""
    old_rules = {(r["rule"], r["item"], r["party"]): r for r in old["reasons"]}
    new_rules = {(r["rule"], r["item"], r["party"]): r for r in new["reasons"]}
    newly = [new_rules[k] for k in sorted(set(new_rules) - set(old_rules), key=str)]
    no_longer = [old_rules[k] for k in sorted(set(old_rules) - set(new_rules), key=str)]
    if old["outcome"] == new["outcome"] and not newly and not no_longer:
        return None
    delta = RANK[new["outcome"]] - RANK[old["outcome"]]
    return {
        "old_outcome": old["outcome"],
        "new_outcome": new["outcome"],
        "direction": "stricter" if delta > 0 else "looser" if delta < 0 else "same_outcome",
        "newly_fired": [{k: r[k] for k in ("rule", "outcome", "citation", "item", "party", "detail")} for r in newly],
        "no_longer_fired": [
            {k: r[k] for k in ("rule", "outcome", "citation", "item", "party", "detail")} for r in no_longer
        ],
    }
