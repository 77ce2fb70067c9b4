"""The Chinese lists the product ships (parties/data/), indexed without a database, for engine tests."""

from functools import cache
from pathlib import Path

from parties.importers import parse_simple_csv
from parties.matching import DEFAULT_THRESHOLD, REVIEW_THRESHOLD
from parties.screening import load_list, make_matcher

DATA = Path(__file__).resolve().parent.parent / "parties" / "data"
CN_LISTS = (
    ("CN-CONTROL", "Control List", "cn_control_list.csv"),
    ("CN-UEL", "Unreliable Entity List", "cn_unreliable_entity_list.csv"),
    ("CN-WATCH", "Watch List", "cn_watch_list.csv"),
)


@cache
def shipped_cn_lists():
    return tuple(
        load_list(
            key=key,
            name=name,
            records=parse_simple_csv([DATA / file]),
            match_threshold=DEFAULT_THRESHOLD,
            review_threshold=REVIEW_THRESHOLD,
        )
        for key, name, file in CN_LISTS
    )


def cn_matcher(rule_set):
    return make_matcher(list(shipped_cn_lists()), rule_set)
