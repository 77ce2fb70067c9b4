"""Party name matching: normalisation, pairwise scoring and an index for screening names against whole lists.

Pure Python, no Django: the list models and the screening workflow build `Entry` objects from list entries,
build a `MatchIndex` once per list version, and `search` it for each party name.
"""

from .index import DEFAULT_THRESHOLD, REVIEW_THRESHOLD, Entry, Explanation, Match, MatchIndex, entry_from_record
from .normalise import AIRCRAFT, ENTITY, KINDS, PERSON, UNKNOWN, VESSEL, NameForm, prepare
from .scoring import Comparison, TokenMatch, compare

__all__ = [
    "AIRCRAFT",
    "DEFAULT_THRESHOLD",
    "REVIEW_THRESHOLD",
    "ENTITY",
    "KINDS",
    "PERSON",
    "UNKNOWN",
    "VESSEL",
    "Comparison",
    "Entry",
    "Explanation",
    "Match",
    "MatchIndex",
    "NameForm",
    "TokenMatch",
    "compare",
    "compare_names",
    "entry_from_record",
    "prepare",
    "score_names",
]


def compare_names(a: str, b: str, kind: str | None = None) -> Comparison:
    """Compare two names of the same kind of party (person, entity, vessel, aircraft; None when unknown)."""
    kind = kind or UNKNOWN
    return compare(prepare(a, kind), prepare(b, kind))


def score_names(a: str, b: str, kind: str | None = None) -> float:
    """How likely two names name the same party, 0..1."""
    return compare_names(a, b, kind).score
