"""Replacement words: Faker names matched to gender, invented places and pseudo-words, never colliding.

Replacements are made word by word, so every term that contains a word gets the same replacement
for it: "Harry Potter" -> "Jon Huggins" because "Harry" -> "Jon" and "Potter" -> "Huggins".
Each word's draw is seeded by (seed, kind, word, attempt), so a word's replacement does not depend
on which other terms exist unless two draws collide.
"""

from __future__ import annotations

import hashlib
import random

from anchors.gender import FEMALE, MALE, _answer, guess_name
from anchors.heuristics import general_zipf_v1

GIVEN, SURNAME, PLACE, THING = "given", "surname", "place", "thing"
ONSETS = ["b", "br", "c", "cl", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p",
          "pl", "r", "s", "sk", "st", "t", "tr", "v", "w", "z"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ou", "ee", "ea"]
CODAS = ["", "", "n", "r", "l", "m", "st", "nd", "x", "th", "ck", "sp", "rn"]
PLACE_ENDINGS = ["ton", "bury", "ford", "worth", "field", "ham", "wick", "stead", "mere", "combe", "ley", "by"]
ATTEMPTS = 60


class Replacer:
    """Draws one replacement per word; `taken` holds lower-cased words no replacement may be."""

    def __init__(self, seed: int, taken: set[str], name_max_zipf: float = 4.5):
        from faker import Faker

        self.seed = seed
        self.taken = set(taken)
        self.name_max_zipf = name_max_zipf
        self.fake = Faker("en_US")

    def _rng(self, kind: str, word: str, attempt: int) -> int:
        digest = hashlib.sha256(f"{self.seed}\0{kind}\0{word}\0{attempt}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def _free(self, candidate: str, max_zipf: float) -> bool:
        low = candidate.lower()
        # The plural is checked too: "Curses" becomes the plural of "Curse"'s replacement.
        return (candidate.isalpha() and len(candidate) > 2 and low not in self.taken
                and pluralize(low) not in self.taken and general_zipf_v1(low) < max_zipf)

    def claim(self, replacement: str) -> None:
        self.taken.update(w.lower() for w in replacement.split())
        self.taken.update(pluralize(w.lower()) for w in replacement.split())

    def draw(self, word: str, kind: str, gender: str = "unknown") -> str:
        """A fresh replacement for `word`, cased like it (lower-case nouns stay lower-case)."""
        for attempt in range(ATTEMPTS):
            n = self._rng(kind, word, attempt)
            candidate, limit = self._candidate(kind, gender, n)
            if self._free(candidate, limit) and (kind != GIVEN or _fits(candidate, gender, attempt)):
                break
        else:  # names exhausted by collisions: an invented word is always available
            for attempt in range(ATTEMPTS, 10 * ATTEMPTS):
                candidate, limit = invented(random.Random(self._rng(kind, word, attempt))), 0.5
                if self._free(candidate, limit):
                    break
        out = candidate.lower() if word.islower() else candidate[:1].upper() + candidate[1:]
        self.claim(out)
        return out

    def _candidate(self, kind: str, gender: str, n: int) -> tuple[str, float]:
        self.fake.seed_instance(n)
        if kind == GIVEN:
            pick = {MALE: self.fake.first_name_male, FEMALE: self.fake.first_name_female}.get(gender, self.fake.first_name)
            return pick(), self.name_max_zipf
        if kind == SURNAME:
            return self.fake.last_name(), self.name_max_zipf
        rng = random.Random(n)
        if kind == PLACE:  # an ordinary-sounding English place: a surname stem and a place ending
            stem = self.fake.last_name()
            stem = stem[:-1] if stem.endswith(("s", "e", "y")) else stem
            return stem + rng.choice(PLACE_ENDINGS), 0.5
        return invented(rng), 0.5


def _fits(name: str, gender: str, attempt: int) -> bool:
    """A first name of the wanted gender; for an unknown gender an androgynous one (Jordan,
    Alex), so a guess never flips a character's gender. Late attempts accept any name."""
    if gender in (MALE, FEMALE):
        return guess_name(name) == gender
    return _answer(name) in ("andy", "unknown") or attempt >= ATTEMPTS // 2


def invented(rng: random.Random) -> str:
    """A pronounceable word that is not English: two or three syllables."""
    syllables = rng.choice([2, 2, 3])
    word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(syllables)) + rng.choice(CODAS)
    return word.capitalize()


def pluralize(word: str) -> str:
    return word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")
