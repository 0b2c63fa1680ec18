"""Scoring and decision heuristics, registered under versioned names.

A released name never changes behaviour: a new rule is a new name (`specificity_v2`), and the
settings pick names, so an old dictionary can be rebuilt exactly. The version of the anchors
artifact includes the names chosen.
"""

from __future__ import annotations

import functools
import math
from collections import Counter
from typing import Callable

from anchors.aliases import NameRules
from anchors.evidence import PLACE_HEADS, TITLE_WORDS, english_stem, real_region
from anchors.gender import is_known_name
from anchors.terms import is_name_like, words

# Labels that never name something idiosyncratic to a story (dates, amounts, numbers, laws).
REJECTED_LABELS = {"DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL", "LAW"}
# Labels of things that exist in the real world too: frequent ones are real places and peoples.
REAL_WORLD_LABELS = {"GPE", "LOC", "NORP", "LANGUAGE"}
# Ties between labels go to the most specific one.
LABEL_PRIORITY = ["PERSON", "ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART",
                  "LANGUAGE", "LAW", "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL",
                  "CARDINAL", "PROPN", "NOUN"]


@functools.lru_cache(maxsize=500_000)
def general_zipf_v1(term: str) -> float:
    """Zipf frequency of the term in general English (wordfreq; a phrase's words combined)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(term, "en")


def corpus_zipf(count: int, total_words: int) -> float:
    """The term's frequency in the target on the Zipf scale (log10 per billion words)."""
    return math.log10(max(count, 1) / max(total_words, 1) * 1e9)


def specificity_v1(count: int, total_words: int, zipf: float) -> float:
    """How much more frequent the term is in the target than in general English, in Zipf units."""
    return round(corpus_zipf(count, total_words) - zipf, 4)


def label_vote_v1(labels: Counter) -> str:
    """One label per term: the majority NER label; proper-noun runs and nouns vote only without one."""
    ner = Counter({k: v for k, v in labels.items() if k not in {"PROPN", "NOUN"}})
    pool = ner or labels
    best = max(pool.values())
    tied = [k for k, v in pool.items() if v == best]
    return min(tied, key=lambda k: (LABEL_PRIORITY.index(k) if k in LABEL_PRIORITY else 99, k))


def decide_v1(term: str, label: str, zipf: float, specificity: float, s, evidence: dict | None = None) -> tuple[bool, str]:
    """(accepted, reason) for one candidate before clustering; `s` is the AnchorSettings. No corpus evidence."""
    from spacy.lang.en.stop_words import STOP_WORDS

    if len(term) < 2 or not any(ch.isalpha() for ch in term):
        return False, "not a word"
    if all(w.lower() in STOP_WORDS for w in words(term)):
        return False, "stopword"
    # en_core_web_sm calls invented words MONEY or LAW at times: a label only rejects a term
    # that general English knows (Monday, Christmas), never a word rare enough to be a name.
    if label in REJECTED_LABELS and zipf >= s.label_min_zipf:
        return False, f"rejected label {label}"
    if any(ch.isdigit() for ch in term):
        return False, "contains a digit"
    if zipf >= s.max_zipf:
        return False, f"too common in general English (Zipf {zipf:.2f} >= {s.max_zipf})"
    if label in REAL_WORLD_LABELS and zipf >= s.real_world_zipf and not is_known_name(words(term)[0]):
        return False, f"real-world {label} (Zipf {zipf:.2f} >= {s.real_world_zipf})"
    if label == "NOUN" and not term[:1].isupper():
        if zipf >= s.noun_max_zipf:
            return False, f"common noun too common in general English (Zipf {zipf:.2f} >= {s.noun_max_zipf})"
        if specificity < s.noun_min_specificity:
            return False, f"common noun not specific to the target (specificity {specificity:.2f} < {s.noun_min_specificity})"
        return True, "rare common noun specific to the target"
    if not is_name_like(term):
        return False, "not a proper name (lower-case word)"
    if specificity < s.min_specificity:
        return False, f"not specific to the target (specificity {specificity:.2f} < {s.min_specificity})"
    return True, "specific name"


def decide_v2(term: str, label: str, zipf: float, specificity: float, s, evidence: dict | None = None) -> tuple[bool, str]:
    """decide_v1, then the corpus evidence of anchors/evidence.py: titles and ranks, real countries and regions,
    rare nouns derived from English words, capitalised words also written in lower case, and words seen only
    at sentence starts. `evidence` holds the corpus counts of a single word: lower, cap, seen, initial."""
    accepted, reason = decide_v1(term, label, zipf, specificity, s)
    if not accepted:
        return accepted, reason
    ev = evidence or {}
    single = " " not in term
    if single and term.lower() in TITLE_WORDS:
        return False, "a title or rank, not a name"
    # NER calls a centaur named "Firenze" PERSON rightly and "Somersetshire" PERSON wrongly.
    region = real_region(term) if label != "PERSON" or term.endswith("shire") else None
    if region:
        return False, f"real place (country or region {region!r})"
    if label == "NOUN" and not term[:1].isupper():
        stem = english_stem(term.lower(), s.derived_min_zipf)
        return (False, f"English word derived from {stem!r}") if stem else (accepted, reason)
    if single:
        lower, cap = ev.get("lower", 0), ev.get("cap", 0)
        if lower >= max(3, s.lower_case_share * cap) and general_zipf_v1(term.lower()) >= s.lower_case_min_zipf:
            return False, f"also written in lower case ({lower} of {lower + cap} times): a common word"
        seen, initial = ev.get("seen", 0), ev.get("initial", 0)
        if seen >= 2 and initial >= 0.9 * seen and not is_known_name(term):
            return False, f"opens a sentence before punctuation ({initial} of {seen} mentions): an interjection, not a name"
    return accepted, reason


def decide_v3(term: str, label: str, zipf: float, specificity: float, s, evidence: dict | None = None) -> tuple[bool, str]:
    """decide_v2, and: a title the corpus uses stays ("Magister"); a word general English does not know that
    recurs is a candidate in any case ("kelpiron", "Skyglass" beside "skyglass"), compounds of English words
    included; an ordinary lower-case noun is never one ("ferryman", "satchel"). `evidence` adds `title`."""
    ev = evidence or {}
    if ev.get("title"):
        return False, "a title (written before names and after 'the'): stays as it is"
    if not term[:1].isupper():
        if " " in term or any(ch.isdigit() for ch in term) or len(term) < 4:
            return False, "not a proper name (lower-case phrase)"
        if zipf >= s.invented_max_zipf:
            return False, f"lower-case word known to general English (Zipf {zipf:.2f} >= {s.invented_max_zipf})"
        if specificity < s.invented_min_specificity:
            return False, f"invented-looking word too rare in the target (specificity {specificity:.2f} < {s.invented_min_specificity})"
        stem = english_stem(term.lower(), s.derived_min_zipf)
        if stem and " " not in stem:
            return False, f"English word derived from {stem!r}"
        return True, f"invented word (Zipf {zipf:.2f}), recurring"
    accepted, reason = decide_v2(term, label, zipf, specificity, s, evidence)
    if not accepted and reason.startswith("also written in lower case") and general_zipf_v1(term.lower()) < s.invented_max_zipf:
        return True, "invented word written in both cases"
    if not accepted and reason.startswith("rejected label") and " " not in term and zipf < s.invented_max_zipf:
        return True, f"invented word (Zipf {zipf:.2f}) whatever its NER label"
    return accepted, reason


UNLISTED_MAX_ZIPF = 3.0  # decide_v7: up to here, a word no English dictionary lists is still invented
UNLISTED_MIN_SPECIFICITY = 3.0


def unlisted_word(word: str, zipf: float) -> bool:
    """decide_v7: a lower-case word that wordfreq has seen a little (Zipf 1-3: "dementors" 2.2, "boggart" 1.8)
    but no dictionary lists, nor as two dictionary words ("trapdoor") or an inflection ("knelt")."""
    from anchors.lexicon import english_compound, english_word

    return zipf < UNLISTED_MAX_ZIPF and not english_word(word) and not english_compound(word)


def decide_v7(term: str, label: str, zipf: float, specificity: float, s, evidence: dict | None = None) -> tuple[bool, str]:
    """decide_v3, and a lower-case word of Zipf 1-3 that no English dictionary lists is invented too
    (anchors/lexicon.py): "boggart", "thestrals". Such a word is decided by decide_v3's rule for invented
    words with their limits raised: Zipf below UNLISTED_MAX_ZIPF, and 1,000 times its general frequency
    (specificity UNLISTED_MIN_SPECIFICITY) is enough, wordfreq's few sightings of "boggart" being this very
    universe's; Zipf-0 words keep invented_min_specificity."""
    if term[:1].islower() and term.isalpha() and s.invented_max_zipf <= zipf and unlisted_word(term, zipf):
        limits = {"invented_max_zipf": UNLISTED_MAX_ZIPF, "invented_min_specificity": UNLISTED_MIN_SPECIFICITY}
        accepted, reason = decide_v3(term, label, zipf, specificity, s.model_copy(update=limits), evidence)
        return accepted, reason + (", in no dictionary" if accepted else "")
    return decide_v3(term, label, zipf, specificity, s, evidence)


HEURISTICS: dict[str, Callable] = {
    "general_zipf_v1": general_zipf_v1,
    "specificity_v1": specificity_v1,
    "label_vote_v1": label_vote_v1,
    "decide_v1": decide_v1,
    "decide_v2": decide_v2,
    "names_v1": NameRules(),
    "names_v2": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    "decide_v3": decide_v3,
    # names_v3 is the naming of anchors/build_v3.py (types from context, families, stable per-word draws).
    "names_v3": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v4 decides each candidate as v3; its corpus-wide rules and names_v4 live in anchors/build_v3.py.
    "decide_v4": decide_v3,
    "names_v4": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v5 / names_v5: v4 with landform heads, families from plurals and two pronouns as evidence.
    "decide_v5": decide_v3,
    "names_v5": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v6 / names_v6: v5 with gender from the word before a name and from a single pronoun (build_v3.py).
    "decide_v6": decide_v3,
    "names_v6": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v7 / names_v7: v6, and lower-case words of Zipf 1-3 that no dictionary lists are invented.
    "decide_v7": decide_v7,
    "names_v7": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v8 / names_v8: v7 with times ("until X"), "-mas" festivals, more head words and role compounds
    # written before names as titles ("Lampwarden Quade"); anchors/context.py, anchors/build_v3.py.
    "decide_v8": decide_v7,
    "names_v8": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v9 / names_v9: v8 with real cities and geography, the offices of TITLES_V9, names of a known
    # given name and a landform word typed person, prefix heads ("Hotel X") and phrases counted in the text
    "decide_v9": decide_v7,
    "names_v9": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v10 / names_v10: v9 with invented ranks ("the Thalarch"), names spoken to carry no pronoun, cities
    # spelled like given names, common nouns naming things typed no person, buildings for shows (build_v3.py)
    "decide_v10": decide_v7,
    "names_v10": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v11 / names_v11: v10 with polities, associations, railways and hard seasons as heads, ranks only
    # before name-like words, real cities typed person by a given-name word (anchors/context.py, build_v3.py)
    "decide_v11": decide_v7,
    "names_v11": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v12 / names_v12: v11 with ships, works and buildings read from the words around a name, and
    # possessive pronouns (not those inside a quotation) as gender evidence (anchors/context.py)
    "decide_v12": decide_v7,
    "names_v12": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v13 / names_v13: v12, and invented ranks ("Lampwarden") anchored with an ordinary office
    "decide_v13": decide_v7,
    "names_v13": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v14 / names_v14: v13, and names "X of (the) Y" read from the text (anchors/candidates_v3.py)
    "decide_v14": decide_v7,
    "names_v14": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v15 / names_v15: v14, ranks explained once as "a X", works of engineering as place heads
    "decide_v15": decide_v7,
    "names_v15": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v16 / names_v16: v15, clans and houses as families, rivers' banks and realms' rulers as places,
    # ranks before names and alone, a shared surname that is a place word, offices "X of Y" of English words
    "decide_v16": decide_v7,
    "names_v16": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v17 / names_v17: v16, titled names as keys ("Madam Pomfrey" -> "Madam Ayala"), ships and animals
    # called by a common noun anchored when the text says what they are
    "decide_v17": decide_v7,
    "names_v17": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
    # decide_v18 / names_v18: v17, rivers by what they do ("the Callow had shrunk"), places by the noun after
    # them ("the Ilvey bridge"), ships by what they are ("their barge the Imbrasca")
    "decide_v18": decide_v7,
    "names_v18": NameRules(place_heads=frozenset(PLACE_HEADS), surname_titles=True),
}


def heuristic(name: str):
    from corpus_tools.errors import ObliviateError

    if name not in HEURISTICS:
        raise ObliviateError(f"unknown heuristic {name!r}; registered: {', '.join(sorted(HEURISTICS))}")
    return HEURISTICS[name]
