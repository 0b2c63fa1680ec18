"""The gender of a first name: gender-guesser first, else the pronouns that follow its mentions."""

from __future__ import annotations

import functools
import re

MALE, FEMALE, UNKNOWN = "male", "female", "unknown"
# Only subject pronouns vote: objects and possessives ("Hermione corrected his spell") point elsewhere.
PRONOUN = re.compile(r"\b(he|she)\b", re.I)
OTHER_NAME = re.compile(r"[a-z,;:]\s+[A-Z][a-z]")
MALE_WORDS = {"he"}


@functools.lru_cache(maxsize=1)
def _detector():
    import gender_guesser.detector as gg

    return gg.Detector(case_sensitive=False)


@functools.lru_cache(maxsize=100_000)
def _answer(name: str) -> str:
    return _detector().get_gender(name)


def guess_name(name: str) -> str:
    """male, female or unknown for a first name (gender-guesser's "mostly_" answers count)."""
    answer = _answer(name)
    if answer in ("male", "mostly_male"):
        return MALE
    if answer in ("female", "mostly_female"):
        return FEMALE
    return UNKNOWN


def is_known_name(word: str) -> bool:
    """gender-guesser knows the word as a first name (of any gender)."""
    return _answer(word) != "unknown"


def pronoun_votes(contexts: list[str]) -> str:
    """Gender from the pronouns after a name's mentions (up to the next name), when at least 70% agree."""
    votes = []
    for c in contexts:
        # Pronouns after another name ("... told Albus Dumbledore his ...") say nothing about this one.
        other = OTHER_NAME.search(c)
        votes += [m.group(1).lower() in MALE_WORDS for m in PRONOUN.finditer(c[: other.start() if other else len(c)])]
    if len(votes) < 2:
        return UNKNOWN
    share = sum(votes) / len(votes)
    return MALE if share >= 0.7 else FEMALE if share <= 0.3 else UNKNOWN


def guess(name: str, contexts: list[str]) -> str:
    found = guess_name(name)
    return found if found != UNKNOWN else pronoun_votes(contexts)
