"""From a mention's text to a dictionary term: titles, articles and possessives stay outside."""

from __future__ import annotations

import re

# Titles precede a name but are not part of it ("Professor Snape" -> "Snape"), so the translation
# keeps them: "Professor Snape" becomes "Professor Huggins" with one key for every title.
TITLES = {
    "professor", "prof", "mr", "mrs", "ms", "miss", "madam", "madame", "mister", "master", "uncle",
    "aunt", "auntie", "lord", "lady", "sir", "dame", "dr", "doctor", "headmaster", "headmistress",
    "captain", "king", "queen", "prince", "princess", "minister", "saint", "st", "cousin", "grandma",
    "granny", "grandpa", "father", "mother", "brother", "sister", "general", "colonel", "major",
    "sergeant", "lieutenant", "reverend", "rev", "judge", "count", "countess", "duke", "duchess",
    "baron", "baroness", "mme", "mlle", "monsieur", "herr", "frau",
}
ARTICLES = {"the", "a", "an", "this", "that", "these", "those", "our", "their", "his", "her", "my", "your"}
POSSESSIVE = re.compile(r"(?:['’]s|s['’])$")
SPACES = re.compile(r"\s+")
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


def words(term: str) -> list[str]:
    return term.split(" ")


def strip_possessive(term: str) -> str:
    """"Harry's" -> "Harry"; "the Dursleys'" -> "the Dursleys"."""
    m = POSSESSIVE.search(term)
    if not m:
        return term
    return term[: m.start()] + ("s" if m.group().lower().startswith("s") else "")


def is_title(word: str) -> bool:
    return word.rstrip(".").lower() in TITLES


def normalize(text: str, *, strip_possessives: bool = True) -> str:
    """The term a mention names: one-spaced, without leading articles or titles, without "'s"."""
    term = SPACES.sub(" ", text).strip(" .,;:!?\"'“”‘’*_#()[]")
    if strip_possessives:
        term = strip_possessive(term)
    parts = words(term) if term else []
    # Leading articles and titles go ("the Dark Lord" keeps "Dark Lord"); a lone title stays a title.
    while len(parts) > 1 and (parts[0].lower() in ARTICLES or is_title(parts[0])):
        parts = parts[1:]
    if len(parts) == 1 and (parts[0].lower() in ARTICLES or is_title(parts[0])):
        return ""
    return " ".join(parts)


def is_name_like(term: str) -> bool:
    """Every word starts with a capital letter (allowing "of", "the" between): a proper name."""
    parts = words(term)
    return bool(parts) and all(p[:1].isupper() or p.lower() in {"of", "the", "de", "van", "von", "and"} for p in parts[1:]) \
        and parts[0][:1].isupper()


def word_set(text: str) -> set[str]:
    """Lower-cased words of a text: what a replacement must never equal."""
    return {w.lower() for w in WORD.findall(text)}
