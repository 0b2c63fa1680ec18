"""Corpus evidence the v2 heuristics read, learnt from a real novel collection (Jane Austen's six novels)
that the v1 rules, tuned on fantasy names, got wrong:

- a capitalised word the corpus also writes in lower case is a common word ("Parsonage", "Nay");
- a word seen only at sentence starts, followed by punctuation, is an interjection ("Psha!", "Humph.");
- a rare lower-case noun derived from an English word is English ("civilities", "cheerfuller");
- a word after "Mr." or "Colonel" is a surname even when it is also a first name ("Mr. Darcy");
- a name ending in "Hall", "Abbey", "Lodge" is a place, whatever NER says ("Kellynch Hall");
- countries and first-level regions (counties, states) are real places ("Derbyshire", "Devonshire").
"""

from __future__ import annotations

import functools
import re
from collections import Counter

# Titles before a surname ("Mr. Darcy", "Colonel Brandon"); "Sir", "Lady", "Uncle" take given names too.
SURNAME_TITLES = ("Mr", "Mrs", "Messrs", "Ms", "Miss", "Misses", "Dr", "Professor", "Colonel", "Captain", "Admiral",
                  "General", "Major", "Lieutenant", "Madam", "Commodore", "Sergeant")
# Words that are titles or ranks on their own, not names ("Admiral Croft", "Nurse Rooke").
TITLE_WORDS = {"admiral", "commodore", "viscount", "viscountess", "baronet", "earl", "marquis", "marchioness",
               "nurse", "governess", "parson", "vicar", "rector", "curate", "squire", "esquire", "esq"}
# The last word of a place's name ("Kellynch Hall", "Diagon Alley", "Privet Drive").
PLACE_HEADS = {"Abbey", "Alley", "Arms", "Avenue", "Bridge", "Buildings", "Castle", "Chapel", "Church", "Cliff",
               "Close", "Common", "Cottage", "Court", "Crescent", "Drive", "Farm", "Gardens", "Gate", "Grange",
               "Green", "Grove", "Hall", "Hill", "House", "Inn", "Lane", "Lodge", "Manor", "Mews", "Mill",
               "Palace", "Park", "Parsonage", "Place", "Priory", "Rectory", "Road", "Row", "Square", "Street",
               "Terrace", "Tower", "Vicarage", "Way", "Wood"}
# Suffixes that derive a word from another ("civilities" <- "civility", "cheerfuller" <- "cheerful").
SUFFIXES = (("nesses", ""), ("ness", ""), ("ities", "ity"), ("ities", "e"), ("ity", "e"), ("ity", ""),
            ("ings", ""), ("ings", "e"), ("ing", ""), ("ing", "e"), ("isms", ""), ("ism", ""), ("ism", "e"),
            ("iest", "y"), ("ier", "y"), ("est", ""), ("est", "e"), ("er", ""), ("er", "e"), ("ies", "y"),
            ("es", ""), ("s", ""), ("ations", "e"), ("ation", "e"), ("ations", ""), ("ation", ""),
            ("ments", ""), ("ment", ""), ("ance", ""), ("ance", "e"), ("ence", ""), ("ence", "e"),
            ("less", ""), ("ful", ""), ("ly", ""))
# Endings of English abstract nouns: an invented object is not called "solicitude" or "retrospections".
ABSTRACT_ENDINGS = ("ness", "nesses", "ity", "ities", "ism", "isms", "ance", "ances", "ence", "ences", "tude", "tudes",
                    "ment", "ments", "tion", "tions", "sion", "sions", "ancy", "ancies", "ency", "encies")
PREFIXES = ("un", "in", "im", "dis", "mis", "over", "under", "self")
SENTENCE_START = re.compile(r"(?:^|[.!?;:]['\"’”)]*\s+|[\"“‘(—–-]\s*|\n\s*)$")
TITLED = re.compile(r"\b(?:" + "|".join(SURNAME_TITLES) + r")\.?\s+$")
ABBREVIATION = re.compile(r"\b(?:St|Jr|Sr|Mt|[A-Z])\.\s+$")


def word_counts(texts) -> Counter:
    """Every word of the corpus with its count, case kept."""
    from anchors.terms import WORD

    counts: Counter = Counter()
    for text in texts:
        counts.update(WORD.findall(text))
    return counts


def _starts(text: str, term: str, end: int) -> int | None:
    """Where `term` begins in a mention ending at `end` (possessives may follow it), or None."""
    at = text.rfind(term, max(0, end - len(term) - 3), end)
    return at if at >= 0 else None


def mention_evidence(term: str, spots: list[tuple[str, int]], texts: dict[str, str]) -> dict:
    """Of a single-word term's sampled mentions: how many were found (seen), came after a surname title
    (titled), or opened a sentence and were followed by punctuation, as an interjection is ("Psha!")."""
    initial = titled = seen = 0
    for doc_id, end in spots:
        text = texts.get(doc_id, "")
        start = _starts(text, term, end)
        if start is None:
            continue
        seen += 1
        before = text[max(0, start - 16):start]
        if TITLED.search(before):  # "Mr. Darcy": the full stop ends a title, not a sentence
            titled += 1
        elif SENTENCE_START.search(before) and not ABBREVIATION.search(before) \
                and text[start + len(term):start + len(term) + 1] in tuple("!?,.;:—-"):
            initial += 1
    return {"seen": seen, "initial": initial, "titled": titled}


@functools.lru_cache(maxsize=100_000)
def english_stem(word: str, min_zipf: float = 3.0, depth: int = 2) -> str | None:
    """An English word (Zipf >= min_zipf) that `word` is derived from by suffixes or a prefix, else None.

    "cheerfuller" -> "cheerful", "unreserve" -> "reserve"; a two-word compound of very common words
    counts too ("schoolfellow" -> "school fellow"), and so does an abstract noun's ending
    ("solicitude" -> "-tude")."""
    from anchors.heuristics import general_zipf_v1

    if word.endswith(ABSTRACT_ENDINGS) and depth == 2:
        return "-" + next(e for e in sorted(ABSTRACT_ENDINGS, key=len, reverse=True) if word.endswith(e))
    if depth == 0 or len(word) < 5:
        return None
    for suffix, restore in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)] + restore
            if general_zipf_v1(stem) >= min_zipf:
                return stem
            if not restore and len(stem) > 3 and stem[-1] == stem[-2] and general_zipf_v1(stem[:-1]) >= min_zipf:
                return stem[:-1]  # "cheerfuller", "bigger"
            deeper = english_stem(stem, min_zipf, depth - 1)
            if deeper:
                return deeper
    for prefix in PREFIXES:
        rest = word[len(prefix):]
        if word.startswith(prefix) and len(rest) >= 4 and general_zipf_v1(rest) >= min_zipf + 0.5:
            return rest
    for cut in range(3, len(word) - 2):
        left, right = word[:cut], word[cut:]
        if general_zipf_v1(left) >= 4.5 and general_zipf_v1(right) >= 4.5:
            return f"{left} {right}"
    return None


@functools.lru_cache(maxsize=1)
def regions() -> frozenset[str]:
    """Countries and first-level regions (ISO 3166, via pycountry): "France", "Derbyshire", "Texas";
    for "North Yorkshire" also "Yorkshire", for "Antigua and Barbuda" also "Antigua"."""
    import pycountry

    names = set()
    for entry in list(pycountry.countries) + list(pycountry.subdivisions):
        for name in {entry.name, getattr(entry, "common_name", entry.name)}:
            name = name.split(",")[0].strip()
            names.add(name)
            names.update(p.strip() for p in name.split(" and "))
            first, _, rest = name.partition(" ")
            if first in {"North", "South", "East", "West", "Greater"} and rest:
                names.add(rest)
    return frozenset(n for n in names if n)


@functools.lru_cache(maxsize=None)
def _resource(name: str) -> frozenset[str]:
    """One name a line of anchors/resources/`name`, without "#" comment lines."""
    from pathlib import Path

    lines = (Path(__file__).parent / "resources" / name).read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _resource_names() -> tuple[frozenset[str], frozenset[str]]:
    """The world's larger cities (resources/cities.txt, from GeoNames) and the other real places of
    resources/geography.txt (historical regions, old city names, seas, rivers, mountains)."""
    return _resource("cities.txt"), _resource("geography.txt")


def real_place(term: str, level: int = 9) -> str | None:
    """anchors v9, beside real_region (which the build asks first): what other real place a term names,
    else None. "place" for the seas, rivers and historical regions of geography.txt ("Flanders"); "city" for
    a city of 100,000 people or more ("Antwerp"), which only a term typed place is rejected for (the city
    list holds surnames too: "Fullerton"). From `level` 16 also the places of geography_v16.txt ("Malabar")."""
    cities, geography = _resource_names()
    if term in geography or (level >= 16 and term in _resource("geography_v16.txt")):
        return "place"
    return "city" if term in cities else None


def real_region(term: str) -> str | None:
    """The region a term names, also in its old "-shire" form ("Devonshire" -> "Devon"), else None."""
    table = regions()
    if term in table:
        return term
    if term.endswith("shire") and term[:-5] in table:
        return term[:-5]
    return None
