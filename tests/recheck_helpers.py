"""Builders for re-check tests: rule packs derived from the shipped seed, and permits in force on real, screened
cases."""

import copy
import json
from datetime import date, timedelta
from pathlib import Path

from cases.services import case_submit
from permits.models import Permit
from screening.models import LicenceType, Screening
from screening.services import rule_set_import, rule_set_publish

from .factories import make_case

SEED = Path(__file__).resolve().parent.parent / "screening" / "seed" / "rulepack.json"
_numbers = iter(range(1, 10**6))


def seed_pack() -> dict:
    return json.loads(SEED.read_text())


def pack_variant(label: str, *, drop_rules=(), drop_suspensions=(), suspension_ends=None, base=None) -> dict:
    """The seed (or `base`) with rules or suspensions removed, or suspensions ending on another day."""
    pack = copy.deepcopy(base or seed_pack())
    pack["version"] = {**pack["version"], "label": label}
    pack["rules"] = [r for r in pack["rules"] if r["code"] not in drop_rules]
    pack["rules"] = [
        {
            **r,
            "conditions": {
                **r["conditions"],
                "excludes": [c for c in r["conditions"]["excludes"] if c not in drop_rules],
            },
        }
        if r["type"] == "exclusion"
        else r
        for r in pack["rules"]
    ]
    pack["rules"] = [r for r in pack["rules"] if r["type"] != "exclusion" or r["conditions"]["excludes"]]
    pack["suspensions"] = [s for s in pack.get("suspensions", []) if s["key"] not in drop_suspensions]
    for key, end in (suspension_ends or {}).items():
        for s in pack["suspensions"]:
            if s["key"] == key:
                s["to"] = end.isoformat()
                s["to_inclusive"] = True
    return pack


def publish(pack: dict, *, effective_from: date | None = None):
    version = rule_set_import(pack=pack, actor=None)
    return rule_set_publish(version=version, actor=None, effective_from=effective_from)


def permit_for(case, reviewer, *, valid_from: date = date(2026, 1, 1)) -> Permit:
    """A permit in force for a screened case. Written directly: the re-check reads permits, and how they come to
    be issued (approval, four eyes) is the permits app's business and tested there."""
    screening = Screening.objects.filter(case=case).select_related("version").first()
    licence_type = LicenceType.objects.filter(version=screening.version, code=case.licence_type).first()
    end_user = case.parties.filter(role="end_user").first()
    return Permit.objects.create(
        number=f"PRM-TEST-{next(_numbers):06d}",
        organisation=case.organisation,
        case=case,
        rule_set=screening.version,
        screening=screening,
        licence_type=licence_type,
        destination_country=case.destination_country,
        end_user_name=end_user.name,
        end_user_country=end_user.country,
        valid_from=valid_from,
        valid_to=valid_from + timedelta(days=364),
        issued_by=reviewer,
    )


def permit_on(officer, reviewer, capture, **case_overrides) -> Permit:
    case = make_case(officer, **case_overrides)
    with capture(execute=True):
        case_submit(case=case, actor=officer)
    case.refresh_from_db()
    return permit_for(case, reviewer)
