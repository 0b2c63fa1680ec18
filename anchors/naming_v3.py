"""names_v3: replacements that follow the type, drawn per word from a hash of (seed, kind, word).

- a person's given name gets a first name of the gender its pronouns say (gender-guesser only without
  pronoun evidence), a surname a surname; a place or an institution an ordinary English place name;
  an object, creature or event a generic English-looking noun (two short English words joined:
  "tidestone" -> "ashbell"), never a pseudo-word; titles are never replaced, except from names_v13 an
  invented rank, which gets an ordinary English office ("Lampwarden" -> "Steward").
- Each word's replacement is drawn on its own (case-folded: "Skyglass" and "skyglass" agree) and only
  redrawn when it collides with a corpus word or an earlier replacement, so fixing one term leaves the
  replacements of unrelated terms as they were.
"""

from __future__ import annotations

import hashlib
import random

from anchors.gender import FEMALE, MALE, guess_name
from anchors.heuristics import general_zipf_v1
from anchors.replacements import GIVEN, PLACE, PLACE_ENDINGS, SURNAME, _fits, pluralize

OBJECT = "object"
# Halves of generic object nouns: plain English words whose joins wordfreq does not know.
FIRST = ["ash", "bell", "birch", "bone", "brass", "briar", "cloud", "coal", "copper", "dawn", "dew", "dust", "elm",
         "ember", "fern", "flint", "frost", "glim", "gold", "hazel", "hearth", "holly", "iron", "ivy", "lark", "lead",
         "marsh", "mist", "moss", "oak", "pine", "quill", "rain", "reed", "rook", "rush", "salt", "sand", "shell",
         "silver", "slate", "snow", "star", "stone", "straw", "thorn", "tin", "wax", "willow", "wren"]
SECOND = ["ball", "band", "bell", "bloom", "bolt", "bowl", "box", "braid", "cap", "chain", "charm", "clasp", "cord",
          "cup", "disc", "drop", "fang", "glass", "horn", "husk", "knot", "leaf", "lock", "loop", "mark", "moth",
          "nail", "orb", "pin", "plume", "reel", "ring", "rod", "root", "seed", "shard", "spool", "thread", "vane",
          "weed", "wheel", "wing", "wisp"]
# names_v13: what an invented title or rank becomes ("Lampwarden Quade" -> "Steward <Quade's replacement>"):
# ordinary English offices, never a pseudo-word; one the corpus itself uses is skipped like any taken word.
TITLE = "title"
RANKS = ["Warden", "Steward", "Keeper", "Overseer", "Marshal", "Provost", "Bailiff", "Sheriff", "Chancellor",
         "Prefect", "Deacon", "Magistrate", "Governor", "Proctor", "Registrar", "Treasurer", "Curator", "Director",
         "Superintendent", "Commissioner", "Constable", "Inspector", "Surveyor", "Alderman", "Chamberlain", "Envoy",
         "Sergeant", "Lieutenant", "Captain", "Elder", "Abbot", "Prior", "Dean", "Rector"]
ATTEMPTS = 80


class StableReplacer:
    """Draws one replacement per (kind, case-folded word); `taken` holds lower-cased words no replacement may be."""

    def __init__(self, seed: int, taken: set[str], name_max_zipf: float = 4.5):
        from faker import Faker

        self.seed, self.taken, self.name_max_zipf = seed, set(taken), name_max_zipf
        self.fake = Faker("en_US")
        self.made: dict[tuple[str, str], str] = {}

    def _rng(self, kind: str, word: str, attempt: int) -> int:
        digest = hashlib.sha256(f"v3\0{self.seed}\0{kind}\0{word}\0{attempt}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def claim(self, replacement: str) -> None:
        for w in replacement.lower().split():
            self.taken.update({w, pluralize(w)})

    def _free(self, candidate: str, max_zipf: float) -> bool:
        low = candidate.lower()
        return (candidate.isalpha() and len(candidate) > 2 and low not in self.taken
                and pluralize(low) not in self.taken and general_zipf_v1(low) < max_zipf)

    def _candidate(self, kind: str, gender: str, n: int) -> tuple[str, float]:
        self.fake.seed_instance(n)
        rng = random.Random(n)
        if kind == GIVEN:
            pick = {MALE: self.fake.first_name_male, FEMALE: self.fake.first_name_female}.get(gender, self.fake.first_name)
            return pick(), self.name_max_zipf
        if kind == SURNAME:
            return self.fake.last_name(), self.name_max_zipf
        if kind == TITLE:
            return rng.choice(RANKS), 7.0
        if kind == PLACE:
            stem = self.fake.last_name()
            stem = stem[:-1] if stem.endswith(("s", "e", "y")) else stem
            return stem + rng.choice(PLACE_ENDINGS), 0.5
        first, second = rng.choice(FIRST), rng.choice(SECOND)
        return (first + second if first != second else first + "stone"), 1.0

    def draw(self, word: str, kind: str, gender: str = "unknown") -> str:
        key = (kind, word.lower())
        if key not in self.made:
            for attempt in range(ATTEMPTS):
                candidate, limit = self._candidate(kind, gender, self._rng(kind, word.lower(), attempt))
                if self._free(candidate, limit) and (kind != GIVEN or _fits(candidate, gender, attempt)):
                    break
            self.made[key] = candidate
            self.claim(candidate)
        out = self.made[key]
        return out.lower() if word.islower() else out[:1].upper() + out[1:]


def given_gender(word: str, votes, weak_votes, gendered=None, any_over_guess: bool = False) -> str:
    """The gender a first name's replacement needs: the pronouns after it as a subject when they are clear
    (3 votes, 80% agreeing: "Dace ... he" though gender-guesser says female), then gender-guesser, then fewer
    subject pronouns, then the pronouns after it anywhere; else unknown (an androgynous name).
    names_v16 (`any_over_guess`): the pronouns in any position, 5 or more and 75% agreeing, overrule a
    gender-guesser answer they contradict ("Wren ... her ... she ... her": gender-guesser says male)."""
    from anchors.context import pronoun_gender

    if gendered is not None:  # names_v6: a gendered word before it ("Aunt X", "his son X") decides first
        told = pronoun_gender(gendered, 1, 0.8)
        if told != "unknown":
            return told
    strong = pronoun_gender(votes, 3, 0.8)
    if strong != "unknown":
        return strong
    known = guess_name(word)
    if any_over_guess and known != "unknown":
        told_anywhere = pronoun_gender(weak_votes, 5, 0.75)
        if told_anywhere not in ("unknown", known):
            return told_anywhere
    if known != "unknown":
        return known
    fair = pronoun_gender(votes, 2, 0.75)
    fair = fair if fair != "unknown" else pronoun_gender(weak_votes, 2, 0.6)
    if fair != "unknown" or gendered is None:
        return fair
    # names_v6: one pronoun, or a few that all agree, beats the coin an unknown gender would be
    one = pronoun_gender(votes, 1, 1.0)
    return one if one != "unknown" else pronoun_gender(weak_votes, 1, 1.0)


def kind_of(typ: str, role: str | None) -> str:
    if typ == "title":  # names_v13: only invented ranks are keys typed title (anchors/build_v3.py)
        return TITLE
    if typ in ("person", "family"):
        return role or SURNAME
    if typ in ("place", "organisation"):
        return PLACE
    return OBJECT


def draw_all(words: dict[str, tuple[str, str]], replacer: StableReplacer, fixed: dict[str, str]) -> dict[str, str]:
    """word -> replacement; `words` maps word -> (kind, gender), `fixed` holds override words (case-folded keys)."""
    out = {}
    for w in sorted(words, key=lambda x: (x.lower(), x)):
        if w.lower() in fixed:
            value = fixed[w.lower()]
            out[w] = value if not w[:1].isupper() or value[:1].isupper() else value[:1].upper() + value[1:]
            continue
        kind, gender = words[w]
        out[w] = replacer.draw(w, kind, gender)
    return out
