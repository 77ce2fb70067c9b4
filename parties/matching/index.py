"""Screening names against whole lists: an index that finds the few list names worth scoring, then scores them.

Retrieval. Every word of every list name is in a vocabulary; a query word finds list words through four keys: the
word itself, its metaphone key, its one-letter deletions (SymSpell's trick: two words one edit apart share a
deletion, so a typo in a rare word still finds it), and for whole names their letters run together and, for
organisations, their initials ("PLA"). Each list name found collects the rarity (inverse document frequency) of
the query words that found it; the best few dozen are scored in full. A query so costs a few dictionary look-ups
and a few dozen comparisons, whatever the size of the list.

Scoring. The name score comes from `scoring.compare`; then qualifiers move it: a weak alias counts less, a
country that the entry does not have lowers it, a matching identifier raises it, a person against a company
lowers it. Every match carries an explanation of all of this.
"""

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .normalise import PERSON, STOPWORDS, UNKNOWN, NameForm, phonetic, prepare
from .scoring import Comparison, TokenMatch, compare

STRONG = "strong"
WEAK = "weak"

# Thresholds justified by the evaluation in docs/benchmarks.md ("Party matching"): at or above DEFAULT_THRESHOLD a
# hit is a potential match; between REVIEW_THRESHOLD and it, a hit goes to review.
DEFAULT_THRESHOLD = 0.84
REVIEW_THRESHOLD = 0.75

WEAK_ALIAS_FACTOR = 0.9
COUNTRY_MISMATCH = 0.1
IDENTIFIER_MATCH = 0.15
KIND_MISMATCH = 0.15
# List names scored in full per query: enough that the right one is among them after a typo in its rarest word.
CANDIDATES = 25
# Words of four letters or more are reached through their one-letter deletions; shorter ones only exactly or by
# sound (a deletion of a three-letter word matches too much to be worth it).
MIN_DELETION_LENGTH = 4
# A candidate needs at least this share of the best candidate's vote to be scored.
MIN_VOTE_SHARE = 0.4
# A word found by sound or through a deletion counts this much of its rarity in the candidate vote.
INEXACT_VOTE = 0.6


@dataclass(frozen=True, slots=True)
class Entry:
    """A list entry as the matcher sees it."""

    list_key: str
    entry_id: str
    names: tuple[tuple[str, str], ...]  # (name, "strong" | "weak"); the first is the entry's name
    kind: str = UNKNOWN
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    identifiers: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.names[0][0] if self.names else ""


def entry_from_record(list_key: str, record: dict) -> Entry:
    """An Entry from a list entry as the importers produce it (`parties.importers`) or as it is stored: entry_id,
    kind, name, aliases [{"name", "strength"}], countries, identifiers [{"type", "value"}]."""
    names = [(record["name"], STRONG)]
    seen = {record["name"]}
    for alias in record.get("aliases") or ():
        if alias["name"] not in seen:
            seen.add(alias["name"])
            names.append((alias["name"], WEAK if alias.get("strength") == WEAK else STRONG))
    identifiers = tuple(i["value"] if isinstance(i, dict) else str(i) for i in record.get("identifiers") or () if i)
    return Entry(
        list_key=list_key,
        entry_id=str(record["entry_id"]),
        names=tuple(names),
        kind=record.get("kind") or UNKNOWN,
        countries=tuple(record.get("countries") or ()),
        identifiers=identifiers,
    )


_ID_SPLIT = re.compile(r"[^A-Z0-9]+")


def identifier_keys(value: str) -> set[str]:
    """Comparable forms of an identifier: 'IMO 8767977, Vessel Registration Identification' gives IMO8767977 and
    8767977. The text after the first comma names the kind of identifier, not its value."""
    value = value.upper().split(",")[0]
    compact = _ID_SPLIT.sub("", value)
    keys = {part for part in _ID_SPLIT.split(value) if len(part) >= 5 and any(c.isdigit() for c in part)}
    if len(compact) >= 5 and any(c.isdigit() for c in compact):
        keys.add(compact)
    return keys


@dataclass(frozen=True, slots=True)
class Explanation:
    query: str
    query_normalised: str
    matched_name: str
    matched_normalised: str
    alias_strength: str
    method: str  # exact, exact ignoring spaces, token overlap, phonetic, fuzzy, identifier
    name_score: float
    token_matches: tuple[TokenMatch, ...]
    unmatched_query: tuple[str, ...]
    unmatched_listed: tuple[str, ...]
    notes: tuple[str, ...]
    adjustments: tuple[tuple[str, float], ...]  # (reason, change to the score)

    def __str__(self) -> str:
        text = (
            f"{self.query!r} ~ {self.matched_name!r} ({self.alias_strength} name): {self.method} {self.name_score:.2f}"
        )
        if self.token_matches:
            text += "; matched " + ", ".join(str(m) for m in self.token_matches)
        if self.unmatched_query:
            text += "; query only: " + " ".join(self.unmatched_query)
        if self.unmatched_listed:
            text += "; list only: " + " ".join(self.unmatched_listed)
        for note in self.notes:
            text += f"; {note}"
        for reason, change in self.adjustments:
            text += f"; {reason} {change:+.2f}"
        return text

    def as_dict(self) -> dict:
        return {
            "query": self.query,
            "query_normalised": self.query_normalised,
            "matched_name": self.matched_name,
            "matched_normalised": self.matched_normalised,
            "alias_strength": self.alias_strength,
            "method": self.method,
            "name_score": self.name_score,
            "token_matches": [
                {"query": m.query, "listed": m.listed, "how": m.how, "similarity": round(m.similarity, 4)}
                for m in self.token_matches
            ],
            "unmatched_query": list(self.unmatched_query),
            "unmatched_listed": list(self.unmatched_listed),
            "notes": list(self.notes),
            "adjustments": [{"reason": r, "change": c} for r, c in self.adjustments],
        }


@dataclass(frozen=True, slots=True)
class Match:
    list_key: str
    entry_id: str
    name: str  # the entry's name
    matched_name: str  # the entry's name or alias that matched
    score: float
    explanation: Explanation


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _kinds_disagree(a: str, b: str) -> bool:
    if UNKNOWN in (a, b):
        return False
    return (a == PERSON) != (b == PERSON)


class MatchIndex:
    """An index over the names of list entries. Build it once per list version; search it per party name."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._names: list[tuple[int, str, NameForm]] = []  # (entry index, strength, form)
        self._vocabulary: dict[str, int] = {}
        self._postings: list[list[int]] = []  # word id -> name ids
        self._idf: list[float] = []
        self._inexact: dict[str, list[int]] = {}  # metaphone or deletion key -> word ids
        self._whole: dict[str, list[int]] = {}  # joined letters or initials of a name -> name ids
        self._identifiers: dict[str, list[int]] = {}  # identifier key -> entry indexes
        self._entry_names: list[list[int]] = []  # entry index -> name ids

    @classmethod
    def build(cls, entries: Iterable[Entry]) -> "MatchIndex":
        index = cls()
        for entry in entries:
            index._add(entry)
        index._finish()
        return index

    def __len__(self) -> int:
        return len(self._names)

    def _add(self, entry: Entry) -> None:
        entry_index = len(self.entries)
        self.entries.append(entry)
        self._entry_names.append([])
        for value in entry.identifiers:
            for key in identifier_keys(value):
                self._identifiers.setdefault(key, []).append(entry_index)
        for name, strength in entry.names:
            form = prepare(name, entry.kind)
            if not form.tokens:
                continue
            name_id = len(self._names)
            self._names.append((entry_index, strength, form))
            self._entry_names[entry_index].append(name_id)
            for token in set(form.tokens):
                word = self._vocabulary.get(token)
                if word is None:
                    word = self._vocabulary[token] = len(self._postings)
                    self._postings.append([])
                    self._index_word(token, word)
                self._postings[word].append(name_id)
            for key in self._whole_keys(form):
                self._whole.setdefault(key, []).append(name_id)

    def _index_word(self, token: str, word: int) -> None:
        key = phonetic(token)
        if key:
            self._inexact.setdefault("m" + key, []).append(word)
        if len(token) >= MIN_DELETION_LENGTH:
            self._inexact.setdefault("d" + token, []).append(word)
            for deletion in _deletions(token):
                self._inexact.setdefault("d" + deletion, []).append(word)

    @staticmethod
    def _whole_keys(form: NameForm) -> list[str]:
        keys = []
        if len(form.tokens) > 1:
            keys.append("j" + "".join(form.tokens))
            content = [t for t in form.tokens if t not in STOPWORDS]
            if form.kind != PERSON and 3 <= len(content) <= 6:
                keys.append("a" + "".join(t[0] for t in content))
        elif form.tokens:
            keys.append("j" + form.tokens[0])
            if form.kind != PERSON and 3 <= len(form.tokens[0]) <= 6:
                keys.append("a" + form.tokens[0])
        return keys

    def _finish(self) -> None:
        total = max(1, len(self._names))
        self._idf = [math.log(1 + total / len(postings)) for postings in self._postings]

    # --- retrieval -------------------------------------------------------------------------------------------

    def candidates(self, form: NameForm, limit: int | None = None) -> list[int]:
        """The ids of the list names most worth scoring against a prepared query name, best first."""
        limit = limit or CANDIDATES
        votes: dict[int, float] = defaultdict(float)
        for token in set(form.tokens):
            found: dict[int, float] = {}  # word id -> vote
            exact = self._vocabulary.get(token)
            if exact is not None:
                found[exact] = self._idf[exact]
            keys = ["m" + phonetic(token)] if phonetic(token) else []
            if len(token) >= MIN_DELETION_LENGTH - 1:
                keys.append("d" + token)
                if len(token) >= MIN_DELETION_LENGTH:
                    keys.extend("d" + deletion for deletion in _deletions(token))
            for key in keys:
                for word in self._inexact.get(key, ()):
                    if word not in found:
                        found[word] = self._idf[word] * INEXACT_VOTE
            best: dict[int, float] = {}
            for word, vote in found.items():
                for name_id in self._postings[word]:
                    if vote > best.get(name_id, 0.0):
                        best[name_id] = vote
            for name_id, vote in best.items():
                votes[name_id] += vote
        for key in self._whole_keys(form):
            for name_id in self._whole.get(key, ()):
                votes[name_id] += 10.0  # the same letters or the initials: always worth scoring
        if not votes:
            return []
        if len(votes) <= limit:
            best = sorted(votes, key=votes.__getitem__, reverse=True)
        else:
            best = heapq.nlargest(limit, votes, key=votes.__getitem__)
        # Names that share only a common word with the query, when others share its rare ones, are not worth
        # scoring: they cannot cover the query's rare words.
        floor = votes[best[0]] * MIN_VOTE_SHARE
        return [name_id for name_id in best if votes[name_id] >= floor]

    # --- search ----------------------------------------------------------------------------------------------

    def search(
        self,
        name: str,
        *,
        country: str | None = None,
        kind: str | None = None,
        identifiers: Iterable[str] = (),
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
    ) -> list[Match]:
        """The entries whose names match `name`, best first, each scoring at least `threshold`."""
        form = prepare(name, kind or UNKNOWN)
        country = (country or "").upper() or None
        wanted_ids = set()
        for value in identifiers:
            wanted_ids |= identifier_keys(value)
        by_identifier: set[int] = set()
        for key in wanted_ids:
            by_identifier.update(self._identifiers.get(key, ()))

        best: dict[int, tuple[float, Explanation]] = {}
        name_ids = self.candidates(form) if form.tokens else []
        scored = [(name_id, self._names[name_id]) for name_id in name_ids]
        # An entry found by identifier is scored on its best name even if no name was a candidate.
        for entry_index in by_identifier - {self._names[n][0] for n in name_ids}:
            scored.extend((n, self._names[n]) for n in self._entry_names[entry_index])
        for _, (entry_index, strength, listed) in scored:
            entry = self.entries[entry_index]
            comparison = compare(form, listed) if form.tokens else Comparison(0.0, "no match")
            score, adjustments = self._qualify(
                comparison.score, strength, entry, country, kind, entry_index in by_identifier
            )
            if score < threshold:
                continue
            if entry_index in best and best[entry_index][0] >= score:
                continue
            method = comparison.method
            if comparison.score == 0 and entry_index in by_identifier:
                method = "identifier"
            best[entry_index] = (
                score,
                Explanation(
                    query=name,
                    query_normalised=form.text,
                    matched_name=listed.original,
                    matched_normalised=listed.text,
                    alias_strength=strength,
                    method=method,
                    name_score=comparison.score,
                    token_matches=comparison.pairs,
                    unmatched_query=comparison.unmatched_query,
                    unmatched_listed=comparison.unmatched_listed,
                    notes=comparison.notes,
                    adjustments=tuple(adjustments),
                ),
            )
        matches = [
            Match(
                list_key=self.entries[i].list_key,
                entry_id=self.entries[i].entry_id,
                name=self.entries[i].name,
                matched_name=explanation.matched_name,
                score=score,
                explanation=explanation,
            )
            for i, (score, explanation) in best.items()
        ]
        matches.sort(key=lambda m: (-m.score, m.list_key, m.entry_id))
        return matches[:limit]

    @staticmethod
    def _qualify(
        score: float,
        strength: str,
        entry: Entry,
        country: str | None,
        kind: str | None,
        identified: bool,
    ) -> tuple[float, list[tuple[str, float]]]:
        adjustments: list[tuple[str, float]] = []

        def adjust(reason: str, new: float) -> None:
            nonlocal score
            new = min(1.0, max(0.0, new))
            if new != score:
                adjustments.append((reason, round(new - score, 4)))
                score = new

        if strength == WEAK:
            adjust("weak alias", score * WEAK_ALIAS_FACTOR)
        if country and entry.countries and country not in entry.countries:
            adjust(f"country {country} not among the entry's ({', '.join(entry.countries)})", score - COUNTRY_MISMATCH)
        if kind and _kinds_disagree(kind, entry.kind):
            adjust(f"{kind} against a listed {entry.kind}", score - KIND_MISMATCH)
        if identified:
            adjust("identifier matches", score + IDENTIFIER_MATCH)
        return round(score, 4), adjustments
