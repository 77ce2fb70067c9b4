"""Name normalisation: from a name as a list or a user writes it to the tokens the matcher compares.

The steps, in order: Unicode compatibility folding, transliteration of non-Latin scripts to ASCII (anyascii, which
knows Cyrillic, Greek, Arabic, Han, Hangul, Kana and most other scripts), "SURNAME, Given" turned round for
people, dotted initials joined ("A.B.C." is "abc"), punctuation to spaces, numbers and common abbreviations put in
one form, honorifics dropped for people, and legal forms taken out of organisation names and kept apart as a
canonical code ("OOO", "LLC" and "Limited Liability Company" are all "llc"), so that "Gazprom JSC" and "OAO
Gazprom" compare on "gazprom" and their legal forms are compared on their own.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import jellyfish
from anyascii import anyascii
from rapidfuzz.distance import DamerauLevenshtein

PERSON = "person"
ENTITY = "entity"
VESSEL = "vessel"
AIRCRAFT = "aircraft"
UNKNOWN = "unknown"
KINDS = (PERSON, ENTITY, VESSEL, AIRCRAFT, UNKNOWN)

# Legal forms, by canonical code. Multi-word forms are written as they read after transliteration and
# punctuation removal ("L.L.C." has become "llc", "S.R.L." "srl", "Общество с ограниченной ответственностью"
# "obshchestvo s ogranichennoy otvetstvennostyu"). Codes in one family are the same form in different languages.
LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "llc": (
        "llc",
        "l l c",
        "limited liability company",
        "limited liability co",
        "ooo",
        "obshchestvo s ogranichennoy otvetstvennostyu",
        "obshchestvo s ogranichennoi otvetstvennostiu",
        "tov",
        "too",
        "mchj",
    ),
    "ltd": ("ltd", "limited", "ltda", "pty ltd", "pty", "pte ltd", "pte", "private limited", "pvt ltd", "pvt"),
    "plc": ("plc", "public limited company"),
    "jsc": (
        "jsc",
        "ojsc",
        "cjsc",
        "pjsc",
        "ao",
        "oao",
        "zao",
        "pao",
        "jstock co",
        "joint stock company",
        "joint stock co",
        "open joint stock company",
        "closed joint stock company",
        "public joint stock company",
        "aktsionernoe obshchestvo",
        "aktsionernoye obshchestvo",
        "otkrytoe aktsionernoe obshchestvo",
        "zakrytoe aktsionernoe obshchestvo",
        "publichnoe aktsionernoe obshchestvo",
    ),
    "gmbh": ("gmbh", "gesellschaft mit beschrankter haftung", "mbh"),
    "ag": ("ag", "aktiengesellschaft"),
    "inc": ("inc", "incorporated"),
    "corp": ("corp", "corporation"),
    "co": ("co", "company", "compania", "compagnie", "cie"),
    "sa": ("sa", "s a", "sociedad anonima", "societe anonyme", "sab de cv", "sa de cv", "de cv"),
    "srl": ("srl", "sarl", "societatea cu raspundere limitata", "societa a responsabilita limitata"),
    "spa": ("spa", "societa per azioni"),
    "bv": ("bv", "besloten vennootschap"),
    "nv": ("nv", "naamloze vennootschap"),
    "lp": ("lp", "l p", "limited partnership", "llp", "partnership"),
    "kg": ("kg", "kommanditgesellschaft", "gmbh co kg"),
    "na": ("na", "national association"),
    "fze": ("fze", "fzco", "fzc", "fz llc"),
    "as": ("as", "asa", "a s", "ab", "oy", "oyj", "aps"),
    "kk": ("kk", "kabushiki kaisha", "yugen kaisha"),
    "sdn bhd": ("sdn bhd", "bhd", "berhad", "sendirian berhad"),
    "tbk": ("pt", "tbk"),
}
_FORM_CODE = {variant: code for code, variants in LEGAL_FORMS.items() for variant in variants}
# A few codes are the same kind of company under different names: the family is what a disagreement is judged by.
_FORM_FAMILY = {
    "llc": "limited",
    "ltd": "limited",
    "gmbh": "limited",
    "srl": "limited",
    "bv": "limited",
    "sdn bhd": "limited",
    "plc": "stock",
    "jsc": "stock",
    "ag": "stock",
    "sa": "stock",
    "spa": "stock",
    "nv": "stock",
    "as": "stock",
    "kk": "stock",
    "tbk": "stock",
    "inc": "corporate",
    "corp": "corporate",
    "co": "corporate",
}
_MAX_FORM_WORDS = max(len(v.split()) for v in _FORM_CODE)

# Titles and honorifics: they say who someone is, not which person they are.
HONORIFICS = frozenset(
    "mr mrs ms miss mx dr prof sir dame lord lady madam monsieur mme mlle herr frau sheikh shaikh sheik haji hajji "
    "alhaj mullah mulla maulvi maulana mawlawi mawlavi qari imam excellency hon "
    "honorable honourable rev reverend fr general gen colonel col major maj captain capt lieutenant lt "
    "admiral adm brigadier brig commander cmdr sergeant sgt president minister senator judge".split()
)

# Function words and name particles: kept (they can tell "Bashar al-Assad" from "Bashar Assad" apart when all else
# is equal) but they weigh little.
STOPWORDS = frozenset(
    "the of and for a an in on at by to de del della der den des di da do dos das du la le les lo van von y e et und "
    "al el ul ad ibn bin bint ben bn ould".split()
)

# Words that many organisations share: a match on "bank" or "holdings" says less than a match on "crystalord".
GENERIC_ORG_WORDS = frozenset(
    "bank banking group holding holdings international intl trading trade company industries industry industrial "
    "services service technology technologies tech enterprise enterprises solutions management investment "
    "investments trust global systems system products development construction engineering import export "
    "national general united association foundation organization organisation institute center centre "
    "university ministry partners capital finance financial insurance shipping logistics energy oil gas "
    "petroleum electronics mining manufacturing mfg factory plant works research scientific science production "
    "commercial import export agency office department bureau committee council fund society union federation "
    "network media communications resources equipment machinery marine maritime air airlines aviation "
    "chemical chemicals pharmaceutical pharmaceuticals medical metals steel trans transport".split()
)

ABBREVIATIONS = {
    "intl": "international",
    "int'l": "international",
    "natl": "national",
    "mfg": "manufacturing",
    "bros": "brothers",
    "assn": "association",
    "assoc": "association",
    "univ": "university",
    "inst": "institute",
    "dept": "department",
    "govt": "government",
    "ctr": "center",
    "centre": "center",
    "organisation": "organization",
    "svcs": "services",
    "mt": "mount",
    "ste": "saint",
    "st": "saint",
    # "son of" in Arabic names, written either way
    "ibn": "bin",
    # Roman numerals that number funds, vessels and companies ("Trust II"); "i", "v" and "x" are initials too.
    "ii": "2",
    "iii": "3",
    "iv": "4",
    "vi": "6",
    "vii": "7",
    "viii": "8",
    "ix": "9",
}

_NUMBERS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty"
).split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_ORDINALS = (
    "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
    "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
).split()
NUMBER_WORDS = {word: str(n) for n, word in enumerate(_NUMBERS)} | {w: str(n) for n, w in enumerate(_ORDINALS)}
NUMBER_WORDS |= {word: str(n) for word, n in _TENS.items()}
_ORDINAL_DIGITS = re.compile(r"^(\d+)(st|nd|rd|th)$")

# Scripts whose romanisation leaves out most vowels (Arabic, Hebrew, Syriac, Thaana are abjads; anyascii renders
# Khmer's inherent vowels as nothing): tokens from them are also compared on their consonants.
_CONSONANTAL_SCRIPTS = ((0x0590, 0x08FF), (0xFB1D, 0xFDFF), (0xFE70, 0xFEFF), (0x1780, 0x17FF))
# Han ideographs are transliterated one syllable at a time; a 2-4 character run is a personal name (surname, then
# the given name written as one word: "习近平" is "xi jinping").
_HAN = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))

_APOSTROPHES = re.compile(r"[\u0027\u2018\u2019\u02bc\u02bb\u0060\u00b4\u02b9\u02be\u02bf]")
_DOTTED_INITIALS = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b)?")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z])")


@dataclass(frozen=True, slots=True)
class NameForm:
    """A name as the matcher compares it."""

    original: str
    kind: str
    tokens: tuple[str, ...]  # core tokens, in order, legal forms and honorifics removed
    legal_forms: frozenset[str]  # canonical codes
    consonantal: bool  # written in a script that romanises without its vowels

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def _in_ranges(char: str, ranges) -> bool:
    code = ord(char)
    return any(lo <= code <= hi for lo, hi in ranges)


def transliterate(text: str) -> tuple[str, bool]:
    """ASCII for any script. Also tells whether the text was in a consonantal script."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text, False
    consonantal = any(_in_ranges(c, _CONSONANTAL_SCRIPTS) for c in text)
    parts: list[str] = []
    han_run: list[str] = []

    def flush_han() -> None:
        if not han_run:
            return
        syllables = [anyascii(c).lower() for c in han_run]
        if 2 <= len(syllables) <= 4:
            parts.append(f" {syllables[0]} {''.join(syllables[1:])} ")
        else:
            parts.append(" " + " ".join(syllables) + " ")
        han_run.clear()

    for char in text:
        if _in_ranges(char, _HAN):
            han_run.append(char)
            continue
        flush_han()
        parts.append(char if char.isascii() else anyascii(char))
    flush_han()
    return "".join(parts), consonantal


def _swap_surname_first(text: str, kind: str) -> str:
    """'PUTIN, Vladimir' is Vladimir Putin. Only for people (and names of unknown kind whose part after the comma
    is not a legal form: 'Samsung Electronics Co., Ltd.' keeps its order)."""
    if kind not in (PERSON, UNKNOWN) or text.count(",") != 1:
        return text
    surname, given = (part.strip() for part in text.split(","))
    if not surname or not given:
        return text
    if kind == UNKNOWN and _NON_ALNUM.sub(" ", given.lower()).strip() in _FORM_CODE:
        return text
    return f"{given} {surname}"


def _number(token: str) -> str:
    match = _ORDINAL_DIGITS.match(token)
    if match:
        return match.group(1)
    return NUMBER_WORDS.get(token, token)


def _join_tens(tokens: list[str]) -> list[str]:
    """'forty four' and 'forty 4' are 44."""
    out: list[str] = []
    for token in tokens:
        if out and token.isdigit() and len(token) == 1 and token != "0" and out[-1] in _TENS_DIGITS:
            out[-1] = str(int(out[-1]) + int(token))
        else:
            out.append(token)
    return out


_TENS_DIGITS = frozenset(str(n) for n in _TENS.values())


_LONG_FORMS = [variant for variant in _FORM_CODE if " " not in variant and len(variant) >= 8]


def _misspelt_form(token: str) -> str | None:
    """A long legal form with a typo ("Aktiengeselschaft") is still the legal form."""
    if len(token) < 8:
        return None
    for variant in _LONG_FORMS:
        if DamerauLevenshtein.distance(token, variant, score_cutoff=1) <= 1:
            return _FORM_CODE[variant]
    return None


def _take_legal_forms(tokens: list[str]) -> tuple[list[str], set[str]]:
    forms: set[str] = set()
    if len(tokens) > 1:
        code = _misspelt_form(tokens[-1])
        if code:
            tokens, forms = tokens[:-1], {code}
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for width in range(min(_MAX_FORM_WORDS, len(tokens) - i), 0, -1):
            code = _FORM_CODE.get(" ".join(tokens[i : i + width]))
            if code is not None:
                forms.add(code)
                i += width
                break
        else:
            out.append(tokens[i])
            i += 1
    return out, forms


def tokenise(text: str, kind: str = UNKNOWN) -> tuple[list[str], bool]:
    """Transliterated, lower-cased alphanumeric tokens, numbers and abbreviations in one form."""
    text, consonantal = transliterate(text)
    text = _swap_surname_first(text, kind)
    text = text.replace("&", " and ")
    text = _DOTTED_INITIALS.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _APOSTROPHES.sub("", text)
    # "SergeiLavrov" written as one word: a lower-to-upper change inside a word is a word break. Names in one case
    # throughout are untouched.
    text = _CAMEL.sub(" ", text)
    text = text.lower().replace("%", " percent ")
    tokens = [ABBREVIATIONS.get(t, t) for t in _NON_ALNUM.split(text) if t]
    tokens = _join_tens([_number(t) for t in tokens])
    return tokens, consonantal


@lru_cache(maxsize=65536)
def prepare(name: str, kind: str = UNKNOWN) -> NameForm:
    kind = kind if kind in KINDS else UNKNOWN
    tokens, consonantal = tokenise(name, kind)
    forms: set[str] = set()
    if kind != PERSON:
        core, forms = _take_legal_forms(tokens)
        # A name that is nothing but a legal form ("The Company") keeps its words.
        if core:
            tokens = core
        else:
            forms = set()
    if kind in (PERSON, UNKNOWN):
        # Titles lead a name ("Dr. Rami Makhlouf", "Sheikh ..."); one that trails is more likely a cut-off word
        # ("... BELKASSEM DR" for Drissi), so only leading ones go, and never the last word.
        while len(tokens) > 1 and tokens[0] in HONORIFICS:
            tokens = tokens[1:]
    return NameForm(name, kind, tuple(tokens), frozenset(forms), consonantal)


def form_family(code: str) -> str:
    return _FORM_FAMILY.get(code, code)


@lru_cache(maxsize=262144)
def phonetic(token: str) -> str:
    """Metaphone key of a token, '' for numbers and tokens too short to carry one."""
    if len(token) < 3 or not token.isalpha():
        return ""
    return jellyfish.metaphone(token)


_VOWELS = re.compile(r"[aeiouwy]+")


@lru_cache(maxsize=262144)
def consonants(token: str) -> str:
    """The consonant skeleton of a token, for names romanised from a script that does not write short vowels:
    'mhmd' and 'muhammad' are both 'mhmd'. p and b, v and f fall together (Arabic has no p or v)."""
    skeleton = _VOWELS.sub("", token).replace("p", "b").replace("v", "f")
    return re.sub(r"(.)\1+", r"\1", skeleton)
