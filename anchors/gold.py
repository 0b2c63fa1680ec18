"""Gold annotations of a corpus and how a dictionary scores against them (docs/anchors_gold.md).

A gold file is JSON lines, one recurring term each:
    {"term": "Hermione Granger", "type": "person", "gender": "female", "must_anchor": true,
     "aliases": ["Hermione", "Granger", "Miss Granger"]}
`type` is one of TYPES, `gender` is set for people only. The scorer reads a dictionary the way the
translation uses it (term -> replacement, label) and the candidates table (for sub-key rejects,
which translate through their parts but still carry a label and a replacement).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from corpus_tools.errors import ObliviateError
from corpus_tools.jsonl import numbered_rows

TYPES = ("person", "family", "place", "organisation", "object", "title", "creature", "event", "other")
GENDERS = ("female", "male", "unknown")
# What each dictionary label says a term is. v1/v2 labels are spaCy's; v3 adds TITLE, FAMILY, CREATURE.
TYPE_OF_LABEL = {"PERSON": "person", "FAMILY": "family", "GPE": "place", "LOC": "place", "FAC": "place",
                 "ORG": "organisation", "NORP": "organisation", "PRODUCT": "object", "NOUN": "object",
                 "WORK_OF_ART": "object", "TITLE": "title", "EVENT": "event", "CREATURE": "creature"}
# A gold type is matched by these dictionary types: a family name replaced like a person's surname reads
# right, and an invented kind of being or event replaced by a generic noun does too.
COMPATIBLE = {"person": {"person"}, "family": {"family", "person"}, "place": {"place"},
              "organisation": {"organisation"}, "object": {"object"}, "title": {"title"},
              "creature": {"creature", "object", "organisation"}, "event": {"event", "object"}}
STOP = {"of", "the", "and", "a", "an", "de", "in", "on", "at", "to"}
ARTICLE = re.compile(r"^(?:The|A|An) (?=[A-Z])")
LOWER_ARTICLE = re.compile(r"^(?:the|a|an) (?=[A-Z]\S*$)")  # a gold term written "the Xs", one name after it
TITLED = re.compile(r"\b(?:Mr|Mrs|Miss|Ms|Misses|Dr|Colonel|Captain|Admiral|Lady|Sir|Lord|Professor|Madam|Magister)\.?\s+$")
PRONOUN = re.compile(r"\b(he|she|him|her|his)\b", re.I)


@dataclass(frozen=True)
class GoldTerm:
    term: str
    type: str
    gender: str | None = None
    must_anchor: bool = True
    aliases: tuple[str, ...] = field(default_factory=tuple)

    @property
    def forms(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


def load_gold(path: Path) -> list[GoldTerm]:
    """The gold terms of a JSON-lines file; a bad line raises with its number and the bad value."""
    out, seen = [], set()
    for n, row in numbered_rows(path):
        term, typ, gender = row.get("term"), row.get("type"), row.get("gender")
        if not isinstance(term, str) or not term.strip():
            raise ObliviateError(f"{path}:{n}: 'term' must be a non-empty string, not {term!r}")
        if typ not in TYPES:
            raise ObliviateError(f"{path}:{n}: type {typ!r} of {term!r} is not one of {', '.join(TYPES)}")
        if (gender is not None and typ != "person") or (typ == "person" and gender not in GENDERS):
            raise ObliviateError(f"{path}:{n}: gender {gender!r} of {term!r}: people take one of {GENDERS}, others null")
        if not isinstance(row.get("must_anchor"), bool):
            raise ObliviateError(f"{path}:{n}: 'must_anchor' of {term!r} must be true or false")
        if term in seen:
            raise ObliviateError(f"{path}:{n}: {term!r} is listed twice")
        seen.add(term)
        out.append(GoldTerm(term, typ, gender, row["must_anchor"], tuple(row.get("aliases") or ())))
    return out


def _form_regex(forms) -> re.Pattern:
    ordered = sorted(set(forms), key=lambda f: (-len(f), f))
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(re.escape(f) for f in ordered) + r")(?![\w-])")


def occurrences(texts, gold: list[GoldTerm]) -> Counter:
    """term -> how often the term or one of its aliases occurs (whole words, case kept, longest first)."""
    owner = {f: g.term for g in gold for f in g.forms}
    pattern = _form_regex(owner)
    found: Counter = Counter()
    for text in texts:
        found.update(owner[m.group()] for m in pattern.finditer(text))
    return found


def _variants(word: str) -> set[str]:
    return {word, word + "s", word + "es", word + "'s", word + "’s"}


def anchored(term: str, keys: set[str]) -> bool:
    """The term is a key (also without a leading article, which extraction strips from names), or each of its
    words (not "of", "the") is a key or a key's plural/possessive."""
    if term in keys or ARTICLE.sub("", term) in keys:  # "The Maid of Corvane": the key is "Maid of Corvane", as extracted
        return True
    words = [w for w in term.split() if w.lower() not in STOP]
    return bool(words) and all(keys & _variants(w) or (w.endswith("s") and w[:-1] in keys) for w in words)


def _given_name_use(word: str, texts) -> bool:
    """A single word is used as a given name: rarely after a title ("Mr. Darcy") or after another name."""
    pattern = re.compile(r"(?<![\w'’-])" + re.escape(word) + r"(?![\w-])")
    total = titled = 0
    for text in texts:
        for m in pattern.finditer(text):
            total += 1
            before = text[max(0, m.start() - 20):m.start()]
            if TITLED.search(before) or re.search(r"[A-Z][a-z]+ $", before):
                titled += 1
    return total > 0 and titled < 0.3 * total


def pronoun_evidence(word: str, texts) -> int:
    """How many personal pronouns follow the word within its sentence: the evidence a gender guess can use."""
    pattern = re.compile(r"(?<![\w'’-])" + re.escape(word) + r"(?![\w-])([^.!?]{0,120})")
    return sum(len(PRONOUN.findall(m.group(1))) for text in texts for m in pattern.finditer(text))


def _word_replacement(word: str, entries: dict[str, str]) -> str | None:
    """What a word becomes: its own key's replacement, or its aligned word in a key that contains it."""
    if word in entries:
        return entries[word].split()[0]
    for term, rep in entries.items():
        tw, rw = term.split(), rep.split()
        if word in tw and len(tw) == len(rw):
            return rw[tw.index(word)]
    return None


def score(dictionary: list[dict], candidates: list[dict], gold: list[GoldTerm], texts: list[str] | None = None,
          translated: list[str] | None = None, min_occurrences: int = 2) -> dict:
    """Recall, precision, type and gender accuracy of a dictionary (rows with term, replacement, label) against
    the gold. With `texts`, only gold terms occurring at least `min_occurrences` times count, genders are scored
    on given names with pronoun evidence, and with `translated` the share of must-anchor occurrences left is
    measured too."""
    from anchors.gender import guess_name
    from anchors.lexicon import english_word

    keys = {r["term"] for r in dictionary}
    entries = {r["term"]: r["replacement"] for r in dictionary}
    labels = {r["term"]: r["label"] for r in candidates if r.get("replacement")} | {r["term"]: r["label"] for r in dictionary}
    counts = occurrences(texts, gold) if texts is not None else None
    present = [g for g in gold if counts is None or counts[g.term] >= min_occurrences]
    must = [g for g in present if g.must_anchor]
    missed = [g.term for g in must if not anchored(g.term, keys)]
    loose_words = {w for k in keys for w in k.split()}
    loose_missed = [g.term for g in must if g.term not in keys and not all(w in loose_words for w in g.term.split()
                                                                            if w.lower() not in STOP)]
    forbidden = [g.term for g in present if not g.must_anchor and g.term in keys]
    # What the issue forbids: an English word or a real place anchored. A must-not invented word ("Thalarch", a
    # rank some gold files keep as a title) is a convention the gold files disagree on, reported apart.
    kind = {g.term: g.type for g in present}
    ordinary = [t for t in forbidden if kind[t] == "place" or any(english_word(w) for w in re.findall(r"[^\W\d_]+", t))]
    # Precision over the keys the gold can judge: a key that is a gold form, or made only of gold forms' words.
    good_words = {w for g in gold if g.must_anchor for f in g.forms for w in f.split()}
    bad_forms = {f for g in gold if not g.must_anchor for f in g.forms}
    judged_good = [k for k in keys if k not in bad_forms and all(w in good_words or w.rstrip("s'’") in good_words
                                                                  for w in k.split() if w.lower() not in STOP)]
    judged_bad = [k for k in keys if k in bad_forms]
    typed, wrong_type = 0, []
    for g in must:
        if g.type == "other" or not anchored(g.term, keys):
            continue
        # a title's key has no leading article ("The Salt Bride" is the key "Salt Bride"), as in `anchored`
        label = next((labels[k] for f in g.forms for k in (f, ARTICLE.sub("", f)) if k in labels), None)
        bare = LOWER_ARTICLE.sub("", g.term)  # "the Fanes": the family's key is "Fanes" or "Fane"
        if label is None and bare != g.term:
            label = labels.get(bare) or (labels.get(bare[:-1]) if bare.endswith("s") else None)
        if label is None and " " in g.term:
            label = labels.get(g.term.split()[0])
        typed += 1
        if TYPE_OF_LABEL.get(label) not in COMPATIBLE[g.type]:
            wrong_type.append(f"{g.term}: {g.type} as {label}")
    gendered, wrong_gender = 0, []
    for g in must:
        if g.type != "person" or g.gender not in ("male", "female"):
            continue
        from anchors.terms import is_title

        parts = [w for w in g.term.split() if not is_title(w)]  # "Lord Voldemort": the name is Voldemort
        first = parts[0] if parts else g.term
        if len(parts) < 2 and (texts is None or not _given_name_use(first, texts)):
            continue  # "Darcy" after "Mr.": a surname, which carries no gender
        if texts is not None and pronoun_evidence(first, texts) < 2:
            continue
        rep = _word_replacement(first, entries)
        if rep is None:
            continue
        gendered += 1
        if guess_name(rep) != g.gender:
            wrong_gender.append(f"{first} ({g.gender}) -> {rep} ({guess_name(rep)})")
    out = {"n_gold": len(present), "n_must": len(must), "n_keys": len(keys),
           "recall": _ratio(len(must) - len(missed), len(must)), "missed": sorted(missed),
           "recall_loose": _ratio(len(must) - len(loose_missed), len(must)),
           "precision": _ratio(len(judged_good), len(judged_good) + len(judged_bad)), "forbidden_anchored": sorted(forbidden),
           "ordinary_anchored": sorted(ordinary),
           "type_accuracy": _ratio(typed - len(wrong_type), typed), "wrong_type": sorted(wrong_type),
           "gender_accuracy": _ratio(gendered - len(wrong_gender), gendered), "n_gendered": gendered,
           "wrong_gender": sorted(wrong_gender)}
    if texts is not None and translated is not None:
        must_gold = [g for g in gold if g.must_anchor]
        before, after = occurrences(texts, must_gold), occurrences(translated, must_gold)
        total = sum(before.values())
        out["must_occurrences"] = total
        out["left_share"] = _ratio(sum(after.values()), total)
        out["top_left"] = [f"{t} {n}" for t, n in after.most_common(15)]
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None
