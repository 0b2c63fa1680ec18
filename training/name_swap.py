"""The target's translation with its people renamed after people the model knows (WHP's `translated_names`).

The translation replaces each person of the target by a generic name ("Harry Potter" -> "Jon Barker"); after "Jon"
the subject expects no surname in particular. With `[unlearn] translated_names`, the translated rows that
`translated_weight` holds the subject on carry, in their place, real people the subject completes ("Isaac" ->
" Newton"), so the same story holds both the generic label after "Harry" and the known surname after "Isaac"
(docs/method.md). Only the person substitutions the translation recorded are renamed, word by word, so a family keeps
one surname and each person one name wherever it is mentioned; given names keep their gender.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pyarrow as pa

from anchors.gender import UNKNOWN, guess_name
from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from training.data import TrainData, block_rows, token_rows

WORD = re.compile(r"[^\W\d_][\w'-]*")


def read_people(path: str | Path) -> list[tuple[str, str]]:
    """(given name, surname) per line of a text file ("Isaac Newton"; '#' starts a comment; the first word is the
    given name, the rest the surname)."""
    path = Path(path)
    if not path.is_file():
        raise ObliviateError(f"translated_names {path}: no such file")
    people = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        if len(words) < 2:
            raise ObliviateError(f"translated_names {path}:{n}: {line!r} is not a given name and a surname")
        people.append((words[0], " ".join(words[1:])))
    if not people:
        raise ObliviateError(f"translated_names {path}: no names")
    return people


def _generic(term: str, replacement: str) -> list[str]:
    """The words of a person replacement that the term itself does not have ("Lord", "Prince" keep their place)."""
    kept = set(term.split())
    return [w for w in replacement.split() if w not in kept]


def swap_map(anchors: pa.Table, counts: Counter, people: list[tuple[str, str]]) -> dict[str, str]:
    """Generic word -> known word, from the dictionary's PERSON rows (term, replacement, label) and how often each
    term was substituted. A generic word is a surname where replacements end on it more often than they start with
    it (a word only ever alone: where gender-guesser does not know it as a given name). Full names, most mentioned
    first, take the next person of the given name's gender whole ("Darrell Bennett" -> "Marie Curie" only where
    Darrell is female); the words left take given names of their gender and surnames in the file's order. The list
    is reused from its start when it runs out."""
    rows = [r for r in anchors.select(["term", "replacement", "label"]).to_pylist() if r["label"] == "PERSON"]
    as_given: Counter = Counter()
    as_surname: Counter = Counter()
    full: Counter = Counter()
    alone: Counter = Counter()
    for r in rows:
        n = counts.get(r["term"], 0)
        words = _generic(r["term"], r["replacement"])
        if len(words) >= 2:
            as_given[words[0]] += n + 1  # +1: a full name votes even where it was never substituted
            as_surname[words[-1]] += n + 1
            full[(words[0], words[-1])] += n
        elif len(words) == 1:
            alone[words[0]] += n
    surname = {w for w in set(as_given) | set(as_surname) | set(alone)
               if as_surname[w] > as_given[w] or (not as_given[w] and not as_surname[w] and guess_name(w) == UNKNOWN)}
    pools: dict[str, list[int]] = {"any": list(range(len(people)))}
    for i, (given, _) in enumerate(people):
        pools.setdefault(guess_name(given), []).append(i)
    taken: Counter = Counter()

    def next_person(word: str) -> int:
        gender = guess_name(word)
        key = gender if gender != UNKNOWN and gender in pools else "any"
        taken[key] += 1
        return pools[key][(taken[key] - 1) % len(pools[key])]

    out: dict[str, str] = {}
    for (g, s), _ in sorted(full.items(), key=lambda kv: (-kv[1], kv[0])):
        if g in out or s in out or g in surname or s not in surname:
            continue
        given, family = people[next_person(g)]
        out[g], out[s] = given, family
    mentions = as_given + as_surname + alone
    n_surnames = 0
    for word in sorted(mentions, key=lambda w: (-mentions[w], w)):
        if word in out:
            continue
        if word in surname:
            out[word] = people[n_surnames % len(people)][1]
            n_surnames += 1
        else:
            out[word] = people[next_person(word)][0]
    return out


def rename(text: str, spans: list[tuple[int, int]], words: dict[str, str]) -> str:
    """`text` with each word of the given spans (start, end: a substitution's place in the translation) that `words`
    maps replaced by its known counterpart; spans must not overlap."""
    out, at = [], 0
    for start, end in sorted(spans):
        out.append(text[at:start])
        out.append(WORD.sub(lambda m: words.get(m.group(0), m.group(0)), text[start:end]))
        at = end
    out.append(text[at:])
    return "".join(out)


def renamed_blocks(blocks: pa.Table, substitutions: pa.Table, anchors: pa.Table,
                   people: list[tuple[str, str]]) -> list[str]:
    """Each block's translated text (blocks: doc_id, t_start_char, t_end_char, translated_text) with its person
    substitutions renamed after `people`."""
    persons = {r["term"] for r in anchors.select(["term", "label"]).to_pylist() if r["label"] == "PERSON"}
    subs = [s for s in substitutions.select(["doc_id", "term", "t_start_char", "t_end_char"]).to_pylist()
            if s["term"] in persons]
    words = swap_map(anchors, Counter(s["term"] for s in subs), people)
    by_doc: dict[str, list[tuple[int, int]]] = {}
    for s in subs:
        by_doc.setdefault(s["doc_id"], []).append((s["t_start_char"], s["t_end_char"]))
    out = []
    for b in blocks.select(["doc_id", "t_start_char", "t_end_char", "translated_text"]).to_pylist():
        lo, hi = b["t_start_char"], b["t_end_char"]
        spans = [(s - lo, e - lo) for s, e in by_doc.get(b["doc_id"], []) if lo <= s and e <= hi]
        out.append(rename(b["translated_text"], spans, words))
    return out


def file_fingerprint(path: str | Path) -> str:
    """Content hash of the people file: it enters the unlearned model's version, never its path."""
    read_people(path)  # a missing or empty file is its error line here too
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def renamed_data(store: Store, blocks: Artifact, tokenizer, people: list[tuple[str, str]], width: int) -> TrainData:
    """`translated_data` with the people renamed: each forget block's translation (rows in `unlearn_data`'s order)
    after `renamed_blocks`, tokenised and cut or padded to `width` tokens, with plain next-token labels."""
    table = block_rows(store, blocks, ["doc_id", "t_start_char", "t_end_char", "translated_text"])
    translation = store.require("translate", blocks.target, blocks.parents["translation"])
    dictionary = store.require("anchors", blocks.target, translation.parents["dictionary"])
    texts = renamed_blocks(table, store.read("substitutions", translation), store.read("anchors", dictionary), people)
    return token_rows([tokenizer(text, add_special_tokens=False)["input_ids"][:width] for text in texts], width)
