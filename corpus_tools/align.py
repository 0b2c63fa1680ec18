"""Character-level alignment of an original block with its translation (docs/method.md).

Works for any fast tokenizer because it only uses character offsets. Definitions:

- Block window. The original block is tokens [a, b) of the whole-document encoding, characters
  [start, end). A substitution straddling an edge is not translated: the translated window
  [lo, hi) starts after it / ends before it. The translated block is the translated document
  between T(lo) and T(hi), tokenised on its own.
- Character map. An original offset c not strictly inside a substitution maps to
  T(c) = (c - lo) + sum(len(translated) - len(original)) over the window's substitutions ending at
  or before c.
- position_map[i] (original position i, whose logits predict original token i+1): with e the end
  char of token i, -1 if e is strictly inside a substitution (anchor interior) or outside the
  window; else the translated token j whose end char is T(e) and that is a clean cut (it does not
  share a character with the next token, as byte-level BPE does inside an emoji); -1 if there is
  none (tokenisations differ there). Also -1 if token i itself is not a clean cut, and at the
  block's last position. So a token outside anchors maps to its counterpart, and an anchor's last
  token maps to the translation's last token.
- Repeats. For the second and later occurrences of a term in the window, the position predicting
  the anchor's first token (the one before it) gets -1.
- Forbidden. Once a translation has appeared (from the original position of the anchor's last
  token on), the first token of the translation, tokenised with and without a leading space, is
  forbidden at every later position; the earliest position per token is kept. The first token is
  forbidden whatever its length (" M" of "Mcconnell" too); it is exempt only when it is generic in
  this position: it has no letter, or it is the translation's whole first word and that word is a
  function word or very frequent in general English (" the" of "the Dark Lord"). A piece that only
  starts a longer word is never exempt, even when it is spelled like a pronoun (" Her" of
  "Herrera"). `[blocks] forbid` widens the rule to the first token of every word of the translation
  ("words") and to every token that spells a beginning of such a word ("prefixes": " B" of " Baldwin",
  unless that beginning is itself a generic word, " He" of " Head"). Why, and what each costs:
  docs/alignment.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Subs:
    """The substitutions of one document, sorted by start (document coordinates)."""

    start: np.ndarray
    end: np.ndarray
    delta: np.ndarray  # len(translated) - len(original)
    term: list[str]
    translated: list[str]

    @classmethod
    def empty(cls) -> "Subs":
        z = np.zeros(0, dtype=np.int64)
        return cls(z, z, z, [], [])

    @classmethod
    def from_spans(cls, spans) -> "Subs":
        """From `translate_text` spans (anything with start, end, term, original and translated)."""
        if not spans:
            return cls.empty()
        return cls(np.array([s.start for s in spans], dtype=np.int64), np.array([s.end for s in spans], dtype=np.int64),
                   np.array([len(s.translated) - len(s.original) for s in spans], dtype=np.int64),
                   [s.term for s in spans], [s.translated for s in spans])

    def strictly_inside(self, c: np.ndarray) -> np.ndarray:
        """Whether each offset lies strictly inside a substitution (s < c < e)."""
        if not len(self.start):
            return np.zeros(np.shape(c), dtype=bool)
        k = np.searchsorted(self.start, c, side="left") - 1
        return (k >= 0) & (c < self.end[np.maximum(k, 0)])

    def window(self, start: int, end: int) -> tuple[int, int]:
        """[lo, hi): the block's characters minus substitutions straddling its edges."""
        lo, hi = start, end
        if self.strictly_inside(np.array([start]))[0]:
            lo = int(self.end[np.searchsorted(self.start, start, side="left") - 1])
        if self.strictly_inside(np.array([end]))[0]:
            hi = int(self.start[np.searchsorted(self.start, end, side="left") - 1])
        return lo, max(lo, hi)

    def within(self, lo: int, hi: int) -> slice:
        """Index range of the substitutions wholly inside [lo, hi)."""
        return slice(int(np.searchsorted(self.start, lo, side="left")), int(np.searchsorted(self.end, hi, side="right")))

    def to_translated(self, c: np.ndarray, lo: int, inside: slice) -> np.ndarray:
        """T(c) relative to the translated window, for offsets not strictly inside a substitution."""
        cum = np.concatenate([[0], np.cumsum(self.delta[inside])])
        k = np.searchsorted(self.end[inside], c, side="right")
        return c - lo + cum[k]


# A translation whose first WORD is one of these (or as frequent as GENERIC_ZIPF) keeps its first token
# allowed: forbidding " the" of "the Dark Lord" would suppress " the" everywhere after it.
FUNCTION_WORDS = frozenset("""
a an the this that these those some any no every each all both either neither of in on at by for
with from to into onto upon over under about above below after before between through during
without within against among around across along and or but nor so yet if then than as because
while though although i me my mine you your yours he him his she her hers it its we us our they
them their who whom whose which what is are was were be been being am do does did have has had
will would shall should can could may might must not mr mrs ms dr st sir lady lord old young
""".split())
GENERIC_ZIPF = 6.0  # wordfreq Zipf: about the 150 most frequent English words ("first", "new", "back")


def generic_word(word: str) -> bool:
    """A whole English word generic enough to carry no target: a function word or one of the most frequent."""
    from wordfreq import zipf_frequency

    return word.lower() in FUNCTION_WORDS or zipf_frequency(word.lower(), "en") >= GENERIC_ZIPF


def generic_first_piece(form: str, start: int, end: int) -> bool:
    """Whether the first token, characters [start, end) of `form`, is generic: it has no letter, or it is the
    whole first word (no letter follows it) and that word is a function word or very frequent English.

    A piece that starts a longer word (" M" of " Mcconnell", " Her" of " Herrera") is never generic: there
    the token is the name's beginning, whatever else it can spell."""
    word = form[start:end].strip()
    if not any(ch.isalpha() for ch in word):
        return True
    whole = word.isalpha() and (end >= len(form) or not form[end].isalpha())
    return whole and generic_word(word)


class FirstTokens:
    """First token ids of a translation, with and without a leading space, generic first pieces skipped.

    With `every_word`, the first token of each of the translation's words, each judged on its own (" Bennett"
    of "Darrell Bennett" too, " of" of "Head of Brooks" never): a replacement's later words are names the
    labels would otherwise teach wherever its first word appears (docs/alignment.md). With `prefixes` (which
    implies `every_word`), also every other single token that spells a beginning of a word (" B" and " Bal" of
    " Baldwin"): the subject can start the forbidden name with a shorter piece than its tokenizer's own."""

    def __init__(self, backend, every_word: bool = False, prefixes: bool = False):
        self.backend = backend
        self.every_word = every_word or prefixes
        self.prefixes = prefixes
        self.cache: dict[str, list[int]] = {}

    def __call__(self, text: str) -> list[int]:
        if text not in self.cache:
            ids: list[int] = []
            words = text.split() if self.every_word else [text]
            for form in (f for w in words for f in (w, " " + w)):
                enc = self.backend.encode(form, add_special_tokens=False)
                if not enc.ids:
                    continue
                s, e = enc.offsets[0]
                if not generic_first_piece(form, s, e) and enc.ids[0] not in ids:
                    ids.append(enc.ids[0])
                if self.prefixes:
                    ids.extend(t for t in self._spelled_beginnings(form) if t not in ids)
            self.cache[text] = ids
        return self.cache[text]

    def _spelled_beginnings(self, form: str) -> list[int]:
        """Ids of the single tokens that spell form[:k] for some k, shortest first. None for a generic word
        (" the", " of"); a piece with no letter (" ") or that is itself a generic word (" He" of " Head", " A" of
        " Aaron") is left out: there the subject means the word, not the name's beginning."""
        if generic_word(form.strip()):
            return []
        out = []
        for k in range(1, len(form) + 1):
            if generic_first_piece(form[:k], 0, k):  # the beginning judged as if it were the whole word
                continue
            enc = self.backend.encode(form[:k], add_special_tokens=False)
            if len(enc.ids) == 1:
                out.append(enc.ids[0])
        return out


def clean_cuts(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Token i is a clean cut if the next token starts at or after its end (the last one always is)."""
    clean = np.ones(len(ends), dtype=bool)
    clean[:-1] = ends[:-1] <= starts[1:]
    return clean


def position_map(ends: np.ndarray, clean: np.ndarray, subs: Subs, lo: int, hi: int,
                 t_ends: np.ndarray, t_clean: np.ndarray) -> np.ndarray:
    """position_map of one block: original token ends (document coordinates) -> translated positions or -1."""
    n = len(ends)
    if not len(t_ends):  # the whole block lies inside one substitution
        return np.full(n, -1, dtype=np.int32)
    inside = subs.within(lo, hi)
    t = subs.to_translated(ends, lo, inside)
    j = np.searchsorted(t_ends, t, side="right") - 1
    jj = np.maximum(j, 0)
    ok = ((j >= 0) & (t_ends[jj] == t) & t_clean[jj] & clean & ~subs.strictly_inside(ends)
          & (ends > lo) & (ends <= hi))
    pm = np.where(ok, j, -1).astype(np.int32)
    if n:
        pm[-1] = -1
    seen: set[str] = set()
    for k in range(inside.start, inside.stop):
        if subs.term[k] in seen:
            first = int(np.searchsorted(ends, subs.start[k], side="right"))  # first token ending after the anchor starts
            if first > 0:
                pm[first - 1] = -1
        seen.add(subs.term[k])
    return pm


def forbidden(ends: np.ndarray, subs: Subs, lo: int, hi: int, first_tokens) -> tuple[list[int], list[int]]:
    """(tokens, from positions): `first_tokens(text)` gives the ids to forbid after `text` appeared."""
    earliest: dict[int, int] = {}
    inside = subs.within(lo, hi)
    for k in range(inside.start, inside.stop):
        last = int(np.searchsorted(ends, subs.end[k], side="left"))  # the anchor's last token
        if last >= len(ends):
            continue
        for tok in first_tokens(subs.translated[k]):
            if tok not in earliest or last < earliest[tok]:
                earliest[tok] = last
    order = sorted(earliest.items(), key=lambda kv: (kv[1], kv[0]))
    return [t for t, _ in order], [p for _, p in order]
