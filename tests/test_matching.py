"""The party name matcher: normalisation, pairwise scores, the index and its explanations, on real list data."""

from pathlib import Path

import pytest

from parties.importers import parse_csl
from parties.matching import (
    DEFAULT_THRESHOLD,
    REVIEW_THRESHOLD,
    Entry,
    MatchIndex,
    compare_names,
    entry_from_record,
    prepare,
    score_names,
)

CSL = Path(__file__).resolve().parent.parent / "parties" / "data" / "us_csl_2022.csv.gz"


@pytest.fixture(scope="module")
def csl_index():
    entries = [entry_from_record("US-CSL", record) for record in parse_csl([CSL])]
    return MatchIndex.build(entries)


@pytest.fixture
def small_index():
    return MatchIndex.build(
        [
            Entry("L", "putin", (("PUTIN, Vladimir Vladimirovich", "strong"),), "person", ("RU",), ("P-7712345",)),
            Entry("L", "gazprom", (("Gazprom PJSC", "strong"), ("Gasprom Trading", "weak")), "entity", ("RU",)),
            Entry("L", "vessel", (("OCEAN STAR", "strong"),), "vessel", (), ("IMO 8767977, Vessel Registration",)),
        ]
    )


# --- normalisation -------------------------------------------------------------------------------------------


def test_surname_first_order_is_turned_round_for_people_only():
    assert prepare("PUTIN, Vladimir", "person").tokens == ("vladimir", "putin")
    assert prepare("Samsung Electronics Co., Ltd.", "unknown").tokens == ("samsung", "electronics")
    assert prepare("Smith, Jones and Partners", "entity").tokens == ("smith", "jones", "and", "partners")


def test_legal_forms_are_taken_out_and_kept_as_canonical_codes():
    for variant in ("Gazprom JSC", "OAO Gazprom", "Open Joint Stock Company Gazprom", "ПАО Газпром"):
        form = prepare(variant, "entity")
        assert form.tokens == ("gazprom",), variant
        assert form.legal_forms == {"jsc"}, variant
    assert prepare("Stripe Limited Liability Company", "entity").legal_forms == {"llc"}
    assert prepare("Siemens Aktiengeselschaft", "entity").legal_forms == {"ag"}  # a typo in the form
    # A name that is only a legal form keeps its words.
    assert prepare("Limited Liability Company", "entity").tokens == ("limited", "liability", "company")


def test_honorifics_accents_punctuation_and_case_do_not_matter():
    assert prepare("Mr. Recep Tayyip Erdoğan", "person").tokens == ("recep", "tayyip", "erdogan")
    assert prepare("A.B.C. Company", "entity").tokens == ("abc",)
    assert prepare("AT&T Inc.", "entity").tokens == ("at", "and", "t")
    assert prepare("Brigade Forty-Four", "entity").tokens == prepare("Brigade 44", "entity").tokens


def test_transliteration_of_non_latin_scripts():
    assert prepare("Владимир Путин", "person").tokens == ("vladimir", "putin")
    assert prepare("Αλέξης Τσίπρας", "person").tokens == ("alexis", "tsipras")
    assert prepare("习近平", "person").tokens == ("xi", "jinping")
    assert prepare("محمد بن سلمان", "person").consonantal


# --- pairwise scores -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Olaf Scholze", "Olaf Scholz", "person"),  # typo
        ("Vladimir Pudin", "Vladimir Putin", "person"),  # typo that sounds the same
        ("Mercedes-Benn Group AG", "Mercedes-Benz Group AG", "entity"),
        ("Putin Vladimir", "Vladimir Putin", "person"),  # reordering
        ("Putin, Vladimir", "Vladimir Putin", "person"),  # SURNAME, Given
        ("V. Putin", "Vladimir Putin", "person"),  # initials
        ("J. A. Wendt", "John Andrew Wendt", "person"),
        ("Gazprom JSC", "OAO Gazprom", "entity"),  # legal forms
        ("Stripe LLC", "Stripe Limited Liability Company", "entity"),
        ("ООО Газпром", "Gazprom LLC", "entity"),  # Cyrillic company vs its transliteration
        ("Сергей Лавров", "Sergey Lavrov", "person"),
        ("AlisherUsmanov", "Alisher Usmanov", "person"),  # words run together
        ("vanderbilt corp", "van der bilt corp", "entity"),
        ("PLA", "People's Liberation Army", "entity"),  # acronym
        ("Vladimir Vladimirovich Putin", "Vladimir Putin", "person"),  # a patronymic more
        ("Usama bin Ladin", "Osama bin Laden", "person"),
    ],
)
def test_same_party_scores_at_or_above_the_default(a, b, kind):
    comparison = compare_names(a, b, kind)
    assert comparison.score >= DEFAULT_THRESHOLD, comparison.describe()
    assert score_names(b, a, kind) >= DEFAULT_THRESHOLD  # either way round


@pytest.mark.parametrize(
    ("a", "b", "kind"),
    [
        ("Angela Merkel", "Olaf Scholz", "person"),
        ("Sergey Ivanov", "Sergey Viktorovich Lavrov", "person"),  # same given name, other surname
        ("Frederik Richter", "Frank Richter", "person"),
        ("Boris Abramovich", "Roman Abramovich", "person"),
        ("Volkswagen AG", "Siemens AG", "entity"),  # the legal form alone is no match
        ("Blinq Holdings Pty Ltd", "Bailey Holdings Pty Ltd", "entity"),  # generic words weigh little
        ("Management Company 23", "Management Company", "entity"),  # a number says which one
        ("WALIJAN ABDUL GHAFOOR HAQQANI", "WALIJAN", "person"),  # one shared word is not enough
        ("Bashar al-Assad", "Hafez al-Assad", "person"),
    ],
)
def test_different_parties_score_below_review(a, b, kind):
    comparison = compare_names(a, b, kind)
    assert comparison.score < REVIEW_THRESHOLD, comparison.describe()


def test_legal_forms_of_another_family_lower_the_score_a_little():
    same = score_names("Deutsche Bank AG", "Deutsche Bank Aktiengesellschaft", "entity")
    other = score_names("Deutsche Bank AG", "Deutsche Bank GmbH", "entity")
    assert same == 1.0
    assert REVIEW_THRESHOLD < other < same


def test_a_comparison_says_how_each_word_matched():
    comparison = compare_names("Vladimir Pudin", "PUTIN, Vladimir Vladimirovich", "person")
    hows = {(m.query, m.listed): m.how for m in comparison.pairs}
    assert hows == {("vladimir", "vladimir"): "exact", ("pudin", "putin"): "phonetic"}
    assert comparison.unmatched_listed == ("vladimirovich",)
    assert "pudin~putin (phonetic 0.90)" in comparison.describe()


# --- the index and its qualifiers ----------------------------------------------------------------------------


def test_search_finds_the_entry_and_explains_the_match(small_index):
    (match,) = small_index.search("Vladimir Putin")
    assert (match.list_key, match.entry_id, match.name) == ("L", "putin", "PUTIN, Vladimir Vladimirovich")
    explanation = match.explanation
    assert explanation.matched_name == "PUTIN, Vladimir Vladimirovich"
    assert explanation.matched_normalised == "vladimir vladimirovich putin"
    assert explanation.method == "token overlap"
    assert [m.how for m in explanation.token_matches] == ["exact", "exact"]
    assert explanation.adjustments == ()
    assert "list only: vladimirovich" in str(explanation)
    assert explanation.as_dict()["token_matches"][0] == {
        "query": "vladimir",
        "listed": "vladimir",
        "how": "exact",
        "similarity": 1.0,
    }


def test_a_country_that_disagrees_lowers_the_score(small_index):
    (plain,) = small_index.search("Vladimir Putin")
    (same,) = small_index.search("Vladimir Putin", country="RU")
    (other,) = small_index.search("Vladimir Putin", country="DE", threshold=0.5)
    assert same.score == plain.score
    assert other.score == pytest.approx(plain.score - 0.1)
    assert other.explanation.adjustments[0][0].startswith("country DE not among")


def test_a_matching_identifier_raises_the_score_and_finds_the_entry_on_its_own(small_index):
    (plain,) = small_index.search("Ocean Stars", threshold=0.5)
    (identified,) = small_index.search("Ocean Stars", identifiers=["IMO8767977"], threshold=0.5)
    assert identified.score > plain.score
    assert ("identifier matches", pytest.approx(identified.score - plain.score)) in identified.explanation.adjustments
    # Another name altogether, but the passport number is the listed one's: worth a reviewer's look.
    (by_id,) = small_index.search("Ivan Petrov", identifiers=["P 7712345"], threshold=0.1)
    assert by_id.entry_id == "putin"
    assert by_id.explanation.method == "identifier"


def test_a_person_against_a_listed_company_scores_lower(small_index):
    (plain,) = small_index.search("Gazprom")
    (as_person,) = small_index.search("Gazprom", kind="person", threshold=0.5)
    assert as_person.score < plain.score
    assert as_person.explanation.adjustments[-1][0] == "person against a listed entity"


def test_weak_aliases_count_less(small_index):
    (strong,) = small_index.search("Gazprom PJSC")
    (weak,) = small_index.search("Gasprom Trading", threshold=0.5)
    assert strong.score == 1.0
    assert weak.explanation.alias_strength == "weak"
    assert weak.score == pytest.approx(0.9)


def test_no_hit_for_unrelated_names(small_index, csl_index):
    assert small_index.search("Angela Merkel") == []
    for name in ("Stuttgart Antriebstechnik GmbH", "Anna Lindqvist", "Harbour Precision Tools Ltd"):
        assert csl_index.search(name, threshold=REVIEW_THRESHOLD) == [], name


def test_the_index_finds_a_typo_in_a_rare_word_without_scanning_the_list(csl_index):
    query = prepare("Al-Nasser Airlnes", "unknown")
    candidates = csl_index.candidates(query)
    assert len(csl_index) > 34_000
    assert len(candidates) <= 25  # of all those names, 25 are scored
    # The airline stands on the SDN list and, several times, on the Denied Persons List.
    matches = {m.entry_id: m for m in csl_index.search("Al-Nasser Airlnes")}
    assert matches["SDN-18133"].matched_name == "AL-NASER AIRLINES"
    assert {"nasser~naser (phonetic 0.90)", "airlnes~airlines (fuzzy 0.93)"} <= {
        str(t) for t in matches["SDN-18133"].explanation.token_matches
    }


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("Jeffrey John James Ashfield", "SDN-19713"),  # reordered, from "ASHFIELD, Jeffrey John James"
        ("Asian Aviation Logistics Co Ltd", "SDN-17228"),  # other legal forms
        ("Асиан Авиэйшн Лоджистикс", "SDN-17228"),  # in Cyrillic
        ("3G Lojistik ve Havacilik Hizmetlari", "SDN-24523"),  # legal form dropped
    ],
)
def test_real_list_entries_are_found_and_every_match_explains_itself(csl_index, query, entry_id):
    matches = csl_index.search(query, threshold=REVIEW_THRESHOLD)
    assert entry_id in [m.entry_id for m in matches], [(m.entry_id, m.score) for m in matches]
    for match in matches:
        explanation = match.explanation
        entry = next(e for e in csl_index.entries if e.entry_id == match.entry_id)
        assert explanation.matched_name in [name for name, _ in entry.names]
        assert explanation.token_matches and explanation.method
        assert str(explanation).startswith(repr(query))
        assert REVIEW_THRESHOLD <= match.score <= 1.0
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
