"""Comparing two prepared names: tokens aligned greedily, each pair scored with rapidfuzz, and a score from how
much of each name the aligned pairs cover.

Why this shape. A list name and a query rarely agree on word order, on middle names or patronymics, or on
whether a word is split ("Vanderbilt", "van der bilt"), so names are compared word by word, not as strings. A
word is scored by edit distance (Damerau-Levenshtein: a typo or a swapped pair of letters costs one) blended with
Jaro-Winkler, which is kinder to differences late in a word, with a floor from the phonetic key (metaphone) and,
for names written in an abjad, from the consonant skeleton. Words that match poorly count as not matched at all:
"Zuckermann" is not "Zuckerberg" however many letters they share. The name with fewer words weighs most in the
score (a query without the patronymic the list has is still the listed person), the other one less, and a lone
given name that matches only one word of a long name is weak evidence.
"""

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler

from .normalise import (
    GENERIC_ORG_WORDS,
    PERSON,
    STOPWORDS,
    NameForm,
    consonants,
    form_family,
    phonetic,
)

# A word pair scoring below this is not a match of those words.
MIN_TOKEN_SIMILARITY = 0.72
# Of the name with fewer words, this much of the score; the rest from the other name's coverage.
SHORT_SIDE_SHARE = 0.8
# Score factor when the shorter name is one word and the other has more: "Walijan" alone is not enough.
SINGLE_TOKEN_FACTOR = 0.8
# An acronym standing for the words it abbreviates.
ACRONYM_SIMILARITY = 0.85
# Different families of legal form (a GmbH is not a plc), when both names carry one.
LEGAL_FORM_PENALTY = 0.05
# A number on one side that the other does not have ("Management Company 23").
UNMATCHED_NUMBER_FACTOR = 0.8


@dataclass(frozen=True, slots=True)
class TokenMatch:
    query: str
    listed: str
    how: str  # exact, initial, prefix, phonetic, consonants, fuzzy, joined, acronym
    similarity: float

    def __str__(self) -> str:
        if self.how == "exact":
            return self.query
        return f"{self.query}~{self.listed} ({self.how} {self.similarity:.2f})"


@dataclass(frozen=True, slots=True)
class Comparison:
    score: float
    method: str  # exact, exact ignoring spaces, token overlap, phonetic, fuzzy, no match
    pairs: tuple[TokenMatch, ...] = ()
    unmatched_query: tuple[str, ...] = ()
    unmatched_listed: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def describe(self) -> str:
        parts = [f"{self.method} {self.score:.2f}"]
        if self.pairs:
            parts.append("matched " + ", ".join(str(p) for p in self.pairs))
        if self.unmatched_query:
            parts.append("query only: " + " ".join(self.unmatched_query))
        if self.unmatched_listed:
            parts.append("list only: " + " ".join(self.unmatched_listed))
        parts.extend(self.notes)
        return "; ".join(parts)


def token_weight(token: str, kind: str) -> float:
    if token in STOPWORDS:
        return 0.25
    if len(token) == 1:
        return 0.5
    if kind != PERSON and token in GENERIC_ORG_WORDS:
        return 0.5
    return 1.0


@lru_cache(maxsize=262144)
def token_similarity(a: str, b: str, consonantal: bool = False) -> tuple[float, str]:
    if a == b:
        return 1.0, "exact"
    if a.isdigit() or b.isdigit():
        return 0.0, "number"  # 23 is not 24: numbers are equal or they differ
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) == 1:
        return (0.85, "initial") if long[0] == short else (0.0, "")
    if len(short) <= 3 and len(long) >= 5 and long.startswith(short):
        return 0.75, "prefix"  # a cut-off word: "DR" for "Drissi"
    dl = DamerauLevenshtein.normalized_similarity(a, b)
    jw = JaroWinkler.similarity(a, b)
    best, how = (dl + jw) / 2, "fuzzy"
    if best < 0.9 and len(short) >= 3:
        key = phonetic(a)
        if key and key == phonetic(b):
            best, how = 0.9, "phonetic"
    if consonantal and best < 0.9:
        ca, cb = consonants(a), consonants(b)
        if ca and cb:
            skeleton = 0.9 * DamerauLevenshtein.normalized_similarity(ca, cb)
            if skeleton > best:
                best, how = skeleton, "consonants"
    return best, how


def _group_matches(a: list[str], b: list[str], kind: str, swap: bool) -> list[tuple[int, list[int], TokenMatch]]:
    """One word of `a` matching several adjacent words of `b`: written together ('Vanderbilt' and 'van der
    bilt') or, for organisations, an acronym ('PLA', People's Liberation Army; 'US', United States)."""
    found = []
    b_set = set(b)
    # Initials of b's content words (function words inside a phrase are skipped: "Bank of America" is "ba").
    content = [j for j, t in enumerate(b) if t not in STOPWORDS]
    initials = "".join(b[j][0] for j in content)
    for i, word in enumerate(a):
        if word in b_set or len(word) < 2 or word.isdigit():
            continue
        if kind != PERSON and 3 <= len(word) <= 6 and len(content) >= len(word):
            start = initials.find(word)
            if start >= 0:
                span = list(range(content[start], content[start + len(word) - 1] + 1))
                match = _pair(word, " ".join(b[j] for j in span), "acronym", ACRONYM_SIMILARITY, swap)
                found.append((i, span, match))
                continue
        if len(word) < 4:
            continue
        for j in range(len(b) - 1):
            if b[j][0] != word[0]:
                continue
            length = len(b[j])
            for end in range(j + 1, len(b)):
                length += len(b[end])
                if length > len(word) + 2:
                    break
                if length < len(word) - 2:
                    continue
                joined = "".join(b[j : end + 1])
                if joined == word:
                    similarity = 1.0
                elif len(word) >= 6:
                    similarity = DamerauLevenshtein.normalized_similarity(word, joined, score_cutoff=0.85)
                else:
                    continue
                if similarity:
                    span = list(range(j, end + 1))
                    found.append((i, span, _pair(word, " ".join(b[k] for k in span), "joined", similarity, swap)))
    return found


def _pair(word: str, run: str, how: str, similarity: float, swap: bool) -> TokenMatch:
    return TokenMatch(run, word, how, similarity) if swap else TokenMatch(word, run, how, similarity)


def align(a: NameForm, b: NameForm) -> tuple[list[tuple[list[int], list[int], TokenMatch]], list[int], list[int]]:
    """Greedy alignment: the best-scoring word pairs first, each word used once."""
    ta, tb = list(a.tokens), list(b.tokens)
    consonantal = a.consonantal or b.consonantal
    candidates: list[tuple[float, list[int], list[int], TokenMatch]] = []
    for i, x in enumerate(ta):
        for j, y in enumerate(tb):
            similarity, how = token_similarity(x, y, consonantal)
            if similarity >= MIN_TOKEN_SIMILARITY:
                candidates.append((similarity, [i], [j], TokenMatch(x, y, how, similarity)))
    kind = a.kind if a.kind != "unknown" else b.kind
    for i, js, match in _group_matches(ta, tb, kind, swap=False):
        candidates.append((match.similarity, [i], js, match))
    for j, is_, match in _group_matches(tb, ta, kind, swap=True):
        candidates.append((match.similarity, is_, [j], match))
    # Best first; between equals, the pair covering more words, then the earlier one, so results are stable.
    candidates.sort(key=lambda c: (-c[0], -(len(c[1]) + len(c[2])), c[1][0], c[2][0]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    pairs = []
    for _, ia, ib, match in candidates:
        if used_a.isdisjoint(ia) and used_b.isdisjoint(ib):
            used_a.update(ia)
            used_b.update(ib)
            pairs.append((ia, ib, match))
    pairs.sort(key=lambda p: p[0][0])
    return pairs, [i for i in range(len(ta)) if i not in used_a], [j for j in range(len(tb)) if j not in used_b]


def compare(a: NameForm, b: NameForm) -> Comparison:
    """How alike two names are, 0..1, and why."""
    if not a.tokens or not b.tokens:
        return Comparison(0.0, "no match")
    kind = a.kind if a.kind != "unknown" else b.kind
    notes: list[str] = []
    penalty = 0.0
    if a.legal_forms and b.legal_forms:
        families_a = {form_family(f) for f in a.legal_forms}
        families_b = {form_family(f) for f in b.legal_forms}
        if families_a.isdisjoint(families_b):
            penalty = LEGAL_FORM_PENALTY
            notes.append(f"legal forms differ ({'/'.join(sorted(a.legal_forms))} vs {'/'.join(sorted(b.legal_forms))})")

    if a.tokens == b.tokens or sorted(a.tokens) == sorted(b.tokens):
        exact = tuple(TokenMatch(t, t, "exact", 1.0) for t in a.tokens)
        method = "exact" if a.tokens == b.tokens else "exact, reordered"
        return Comparison(round(1.0 - penalty, 4), method, exact, notes=tuple(notes))
    if "".join(a.tokens) == "".join(b.tokens):
        joined = (TokenMatch(a.text, b.text, "joined", 1.0),)
        return Comparison(round(0.98 - penalty, 4), "exact ignoring spaces", joined, notes=tuple(notes))

    pairs, free_a, free_b = align(a, b)
    weight_a = [token_weight(t, kind) for t in a.tokens]
    weight_b = [token_weight(t, kind) for t in b.tokens]
    covered_a = sum(weight_a[i] * match.similarity for ia, _, match in pairs for i in ia)
    covered_b = sum(weight_b[j] * match.similarity for _, ib, match in pairs for j in ib)
    coverage_a, coverage_b = covered_a / sum(weight_a), covered_b / sum(weight_b)
    a_is_short = (len(a.tokens), sum(weight_a)) <= (len(b.tokens), sum(weight_b))
    short, long = (coverage_a, coverage_b) if a_is_short else (coverage_b, coverage_a)
    score = SHORT_SIDE_SHARE * short + (1 - SHORT_SIDE_SHARE) * long
    short_tokens = a.tokens if a_is_short else b.tokens
    long_tokens = b.tokens if a_is_short else a.tokens
    spans_several = any(len(ia) > 1 or len(ib) > 1 for ia, ib, _ in pairs)
    if len(short_tokens) == 1 and len(long_tokens) > 1 and not spans_several:
        score *= SINGLE_TOKEN_FACTOR
        notes.append("one-word name")
    unmatched_numbers = [a.tokens[i] for i in free_a if a.tokens[i].isdigit()]
    unmatched_numbers += [b.tokens[j] for j in free_b if b.tokens[j].isdigit()]
    for number in unmatched_numbers:
        score *= UNMATCHED_NUMBER_FACTOR
        notes.append(f"number {number} unmatched")
    score = max(0.0, score - penalty)

    matches = tuple(match for _, _, match in pairs)
    # The same names with different spacing and a typo: compare them as one string too.
    joined_a, joined_b = "".join(a.tokens), "".join(b.tokens)
    if len(joined_a) >= 6 and score < 0.95:
        whole = DamerauLevenshtein.normalized_similarity(joined_a, joined_b)
        if whole >= 0.9 and whole * 0.97 - penalty > score:
            joined = (TokenMatch(a.text, b.text, "fuzzy, ignoring spaces", whole),)
            return Comparison(round(whole * 0.97 - penalty, 4), "fuzzy", joined, notes=tuple(notes))

    hows = {m.how for m in matches}
    if not matches:
        method = "no match"
    elif hows <= {"exact", "joined"}:
        method = "token overlap"
    elif hows <= {"exact", "joined", "phonetic", "consonants", "initial", "acronym", "prefix"}:
        method = "phonetic" if "phonetic" in hows or "consonants" in hows else "token overlap"
    else:
        method = "fuzzy"
    return Comparison(
        round(score, 4),
        method,
        matches,
        tuple(a.tokens[i] for i in free_a),
        tuple(b.tokens[j] for j in free_b),
        tuple(notes),
    )
