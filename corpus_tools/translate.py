"""translate: rewrite every document with the anchor dictionary (docs/method.md).

Matching rules, one Aho-Corasick pass per document (`pyahocorasick`):
- case-sensitive; a match may not split a word: if the term starts (ends) with a word character,
  the character before (after) it must not be one (word characters: letters, digits, "_");
- leftmost-longest: among valid matches the earliest start wins, then the longest one, and
  matches never overlap ("Harry Potter" beats "Harry"; "Harry Potterish" still gives "Harry");
- possessives keep their ending by construction ("Harry's" -> "Jon's");
- a term whose label is in `plural_labels` also matches its plural ("Weasley" + "s",
  "Jones" + "es"), replaced by the plural of its replacement ("the Weasleys" -> "the Hugginses").
  The `term` column keeps the dictionary key; `original`/`translated` hold the literal spans.

Each substitution row gives the original span [start_char, end_char) and the translated span
[t_start_char, t_end_char), so either text can be rebuilt exactly from the other.
"""

from __future__ import annotations

import contextlib
import gc
from typing import NamedTuple

import ahocorasick
import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from corpus_tools.tables import SCHEMAS


class TranslateSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    plural_labels: list[str] = Field(["PERSON"], description="Anchor labels whose terms also match their plural ('the Weasleys').")
    part_chars: int = Field(8_000_000, gt=0, description="Documents are written in parts of about this many characters.")


STAGE = Stage("translate", inputs={"documents": "ingest", "dictionary": "anchors"},
              outputs=("translated_documents", "substitutions"), settings=TranslateSettings, code_version="translate_v2",
              summary="Rewrite every document with the dictionary (translated_documents, substitutions).")


class Span(NamedTuple):
    start: int
    end: int
    t_start: int
    t_end: int
    term: str
    replacement: str
    original: str
    translated: str


def plural(word: str) -> str:
    """English plural of a name: Weasley -> Weasleys, Huggins -> Hugginses."""
    return word + ("es" if word.endswith(("s", "x", "z", "ch", "sh")) else "s")


def _is_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# Word characters among the first 128 code points; the rest are asked of Python one by one (rare).
_ASCII_WORD = np.array([_is_word(chr(i)) for i in range(128)], dtype=bool)


def _word_at(codes: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """Whether the character at each position is a word character (False outside the text)."""
    inside = (positions >= 0) & (positions < len(codes))
    c = codes[np.where(inside, positions, 0)]
    word = _ASCII_WORD[np.minimum(c, 127)]
    for i in np.flatnonzero(inside & (c >= 128)):
        word[i] = _is_word(chr(c[i]))
    return word & inside


class Matcher:
    """The compiled dictionary: keys (terms and plural forms) -> (term, replacement text)."""

    def __init__(self, entries: list[tuple[str, str, str]], plural_labels: tuple[str, ...] = ("PERSON",)):
        table: dict[str, tuple[str, str, str]] = {}
        for term, replacement, _ in entries:
            if not term:
                raise ObliviateError("anchors: an empty term cannot be matched")
            if term in table and table[term][1] != replacement:
                raise ObliviateError(f"anchors: term {term!r} has two replacements: {table[term][1]!r} and {replacement!r}")
            table[term] = (term, replacement, replacement)
        for term, replacement, label in entries:
            if label in plural_labels and plural(term) not in table:
                table[plural(term)] = (term, replacement, plural(replacement))
        self.keys = list(table)
        self.values = [table[k] for k in self.keys]
        # (term, replacement, output) as object columns: a Span list is three fancy-indexing gathers in C.
        self.columns = tuple(np.array([v[i] for v in self.values], dtype=object) for i in range(3))
        # Whether each key's first/last character needs a word boundary beside it.
        self.word_start = np.array([_is_word(k[0]) for k in self.keys], dtype=bool)
        self.word_end = np.array([_is_word(k[-1]) for k in self.keys], dtype=bool)
        self.lengths = np.array([len(k) for k in self.keys], dtype=np.int64)
        self.automaton = ahocorasick.Automaton()
        for i, key in enumerate(self.keys):
            self.automaton.add_word(key, i)  # int values: the matches become one numpy array at C speed
        if self.keys:
            self.automaton.make_automaton()

    @classmethod
    def from_table(cls, anchors: pa.Table, plural_labels=("PERSON",)) -> "Matcher":
        """Every key whose replacement differs from it, but titled keys (anchors v17: "Madam Pomfrey" -> "Madam
        Ayala", source "titled"): the name's own key gives the same text, and the substitution must not start
        at the title, or the position predicting the name would lie inside it and go untrained, and the
        title's first token would become a forbidden token (docs/alignment.md)."""
        columns = ["term", "replacement", "label"] + (["source"] if "source" in anchors.column_names else [])
        rows = anchors.select(columns).to_pylist()
        entries = [(r["term"], r["replacement"], r["label"]) for r in rows
                   if r["replacement"] and r["replacement"] != r["term"] and r.get("source") != "titled"]
        return cls(entries, tuple(plural_labels))


def find_matches(text: str, matcher: Matcher) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, key indices) of the leftmost-longest non-overlapping whole-word matches."""
    empty = np.zeros(0, dtype=np.int64)
    if not matcher.keys:
        return empty, empty, empty
    found = np.array(list(matcher.automaton.iter(text)), dtype=np.int64).reshape(-1, 2)
    if not len(found):
        return empty, empty, empty
    keys = found[:, 1]
    ends = found[:, 0] + 1
    starts = ends - matcher.lengths[keys]
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    valid = ~(matcher.word_start[keys] & _word_at(codes, starts - 1)) & ~(matcher.word_end[keys] & _word_at(codes, ends))
    starts, ends, keys = starts[valid], ends[valid], keys[valid]
    order = np.lexsort((starts - ends, starts))  # by start, longest first
    starts, ends, keys = starts[order], ends[order], keys[order]
    # A candidate that overlaps no earlier one is accepted; overlapping runs are resolved greedily.
    reach = np.maximum.accumulate(ends)
    free = np.ones(len(starts), dtype=bool)
    free[1:] = starts[1:] >= reach[:-1]
    keep = free.copy()
    bounds = np.append(np.flatnonzero(free), len(starts))
    runs = np.flatnonzero(np.diff(bounds) > 1)
    if len(runs):
        s_list, e_list = starts.tolist(), ends.tolist()
        for r in runs.tolist():
            pos = -1
            for i in range(bounds[r], bounds[r + 1]):
                if s_list[i] >= pos:
                    keep[i], pos = True, e_list[i]
    return starts[keep], ends[keep], keys[keep]


def translate_arrays(text: str, matcher: Matcher):
    """The translated text, and starts, ends, t_starts, t_ends, key indices of the replaced spans."""
    starts, ends, keys = find_matches(text, matcher)
    outs = [matcher.values[k][2] for k in keys.tolist()]
    out_len = np.array([len(o) for o in outs], dtype=np.int64)
    shift = np.cumsum(out_len - (ends - starts))
    t_ends = ends + shift
    t_starts = t_ends - out_len
    bounds = [0, *np.column_stack([starts, ends]).ravel().tolist(), len(text)]
    gaps = [text[bounds[2 * i]:bounds[2 * i + 1]] for i in range(len(outs) + 1)]
    pieces = [None] * (2 * len(outs) + 1)
    pieces[0::2], pieces[1::2] = gaps, outs
    return "".join(pieces), starts, ends, t_starts, t_ends, keys


def translate_text(text: str, matcher: Matcher) -> tuple[str, list[Span]]:
    """The translated text and one Span per replaced occurrence, in text order."""
    translated, starts, ends, t_starts, t_ends, keys = translate_arrays(text, matcher)
    terms, replacements, outputs = (column[keys].tolist() for column in matcher.columns)
    s, e = starts.tolist(), ends.tolist()
    with _gc_paused():  # a million small acyclic tuples would wake the cycle collector again and again
        originals = [text[a:b] for a, b in zip(s, e)]
        spans = list(map(Span._make, zip(s, e, t_starts.tolist(), t_ends.tolist(), terms, replacements, originals, outputs)))
    return translated, spans


@contextlib.contextmanager
def _gc_paused():
    """The cyclic garbage collector off for a bulk allocation of objects that cannot form cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def translate(store: Store, target: str, settings: TranslateSettings, *, documents: Artifact, anchors: Artifact,
              progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """Translate every document of `documents` with the dictionary of `anchors`; returns (artifact, created)."""
    def build(st, version: str) -> None:
        matcher = Matcher.from_table(store.read("anchors", anchors), settings.plural_labels)
        advance = task(progress, "translate", documents.stats.get("documents"), "docs")
        stats = {"documents": 0, "substitutions": 0, "chars": 0, "terms": len(matcher.keys)}
        done = st.done_parts("translated_documents") & st.done_parts("substitutions")
        for part, docs in enumerate(store.iter_documents(documents, settings.part_chars)):
            if part in done:  # resumed after a crash: this part is already stored
                advance(len(docs))
                continue
            ids, texts, subs = [], [], []
            for doc_id, text in docs:
                translated, *arrays = translate_arrays(text, matcher)
                ids.append(doc_id)
                texts.append(translated)
                subs.append(_subs_columns(doc_id, text, matcher, *arrays))
                stats["chars"] += len(text)
                advance(1)
            subs = pa.concat_tables(subs)  # a part always holds at least one document
            subs = subs.append_column("target", pa.repeat(target, subs.num_rows))
            subs = subs.append_column("translation_version", pa.repeat(version, subs.num_rows))
            stats["documents"] += len(ids)
            stats["substitutions"] += subs.num_rows
            st.write("substitutions", subs, index=part)
            st.write("translated_documents", pa.table({
                "target": [target] * len(ids), "translation_version": [version] * len(ids),
                "doc_id": ids, "text": texts}), index=part)
        st.stats = stats

    return produce(store, STAGE, target, key=settings.model_dump(), inputs={"documents": documents, "dictionary": anchors},
                   build=build)


def _subs_columns(doc_id, text, matcher: Matcher, starts, ends, t_starts, t_ends, keys) -> pa.Table:
    values = [matcher.values[k] for k in keys.tolist()]
    return pa.Table.from_pydict({
        "doc_id": pa.repeat(doc_id, len(values)), "start_char": starts, "end_char": ends,
        "t_start_char": t_starts, "t_end_char": t_ends, "term": [v[0] for v in values],
        "replacement": [v[1] for v in values], "original": [text[s:e] for s, e in zip(starts.tolist(), ends.tolist())],
        "translated": [v[2] for v in values]}, schema=_SUBS_SCHEMA)


_SUBS_SCHEMA = pa.schema([f for f in SCHEMAS["substitutions"] if f.name not in ("target", "translation_version")])
