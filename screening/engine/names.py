"""Exact party-name matching for the lists a rule set carries.

Two names match when they are equal after folding case, accents and punctuation and dropping legal forms
("Sierra Nevada Corp." = "SIERRA NEVADA CORPORATION"). Fuzzy matching against large lists is a separate
matcher; this one keeps the rule tables testable and is what a rule set's own small lists use."""

import re
import unicodedata

LEGAL_FORMS = frozenset(
    """
    inc incorporated corp corporation co company cos llc llp lp plc ltd limited pte pty gmbh ag kg sa sas sarl
    srl spa bv nv oy ab as asa kk jsc ojsc pjsc ooo zao oao pvt private public holdings holding group the
    """.split()
)
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    # Plain ASCII has nothing to decompose and no accents to drop: most names skip the per-character pass.
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.casefold().replace("&", " and ")
    text = _PUNCT.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def name_key(name: str) -> str:
    """The key two names must share to match exactly: folded, with legal forms removed."""
    tokens = [t for t in fold(name).split(" ") if t and t not in LEGAL_FORMS]
    if not tokens:  # a name made only of legal-form words is still a name
        tokens = fold(name).split(" ")
    return " ".join(tokens)
