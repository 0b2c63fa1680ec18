"""Evaluation items built from a target's own corpus and dictionary, with no hand-written prompts.

Three kinds, one `eval_items` row each (schema in corpus_tools/tables.py):
- verbatim: a document window of `prefix_tokens` + `continuation_tokens` tokens, cut at token boundaries;
  prompt = the prefix, answer = the true continuation (scored by training/verbatim.py);
- cloze: a sentence holding an anchored term, cut just before the term; answer = the term, alternative =
  its generic replacement from the dictionary, both with the leading space (training/cloze.py);
- membership: a document excerpt of up to `membership_tokens` tokens (training/membership.py).
Items come from both sides of the forget / holdout split (training/holdout.py), `split` says which.
Sampling is deterministic and independent of document order: every candidate gets a hash of
(seed, kind, doc_id, offset) and the lowest hashes win, under per-document and per-term caps.
"""

from __future__ import annotations

import hashlib
import re
import time
from bisect import bisect_left
from typing import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from training import metrics as M
from training.holdout import split_documents

KINDS = ("verbatim", "cloze", "membership")
ABBREVIATIONS = {"Mr", "Mrs", "Ms", "Dr", "St", "Prof", "Sr", "Jr", "Mt", "vs", "etc", "No"}
SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")


class EvalSetSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sample_seed: int = Field(0, description="Seed of the item sampling hash.")
    verbatim_items: int = Field(16, ge=0, description="Verbatim items per split (forget, holdout); 16 gave a 95% interval of about +-0.03 on SmolLM2 (docs/evaluation.md).")
    prefix_tokens: int = Field(32, ge=1, description="Tokens of document shown as the verbatim prompt.")
    continuation_tokens: int = Field(32, ge=1, description="Tokens of true continuation the greedy output is scored against.")
    verbatim_per_doc: int = Field(4, ge=1, description="At most this many verbatim windows per document.")
    cloze_items: int = Field(32, ge=0, description="Cloze items per split (Wilson interval at most +-0.17, about +-0.08 near 0.95).")
    cloze_per_term: int = Field(3, ge=1, description="At most this many cloze items per anchored term and split.")
    cloze_min_prompt_words: int = Field(4, ge=1, description="Words of the sentence that must precede the term.")
    membership_items: int = Field(32, ge=0, description="Membership excerpts per split (AUC interval about +-0.14).")
    membership_tokens: int = Field(128, ge=8, description="Tokens per membership excerpt (consecutive, non-overlapping).")
    membership_min_tokens: int = Field(32, ge=2, description="A document's last excerpt is kept if it has at least this many tokens.")
    membership_per_doc: int = Field(8, ge=1, description="At most this many membership excerpts per document.")


def _priority(seed: int, *parts) -> str:
    return hashlib.sha256(":".join(str(p) for p in (seed, *parts)).encode()).hexdigest()


def _pick(candidates: list[dict], n: int, cap_key: str, cap: int) -> list[dict]:
    """The n lowest-priority candidates per split, at most `cap` sharing the same `cap_key` value."""
    out, used = [], {}
    for split in ("forget", "holdout"):
        taken = 0
        for c in sorted((c for c in candidates if c["split"] == split), key=lambda c: c["_priority"]):
            key = c[cap_key]
            if taken >= n or used.get((split, key), 0) >= cap:
                continue
            used[(split, key)] = used.get((split, key), 0) + 1
            out.append({k: v for k, v in c.items() if k != "_priority"})
            taken += 1
    return out


def _row(kind: str, doc: dict, split: str, start: int, end: int, **fields) -> dict:
    base = {"kind": kind, "item_id": f"{kind}:{doc['doc_id']}:{start}", "split": split, "doc_id": doc["doc_id"],
            "start_char": start, "end_char": end, "prompt": None, "answer": None, "alternative": None,
            "term": None, "text": doc["text"][start:end], "n_prompt_tokens": None, "n_answer_tokens": None}
    return base | fields


def _offsets(tok, text: str) -> list[tuple[int, int]]:
    if not getattr(tok, "is_fast", False):  # only fast tokenizers report character offsets
        raise ObliviateError(f"evaluation items need a fast (Rust) tokenizer with offsets; got {type(tok).__name__}")
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    return [tuple(o) for o in enc["offset_mapping"]]


def word_starts(text: str, offs: list[tuple[int, int]]) -> list[int]:
    """Indices of tokens that begin a word: not blank, at the text's start or right after whitespace."""
    return [i for i, (a, b) in enumerate(offs)
            if text[a:b].strip() and (a == 0 or text[a].isspace() or text[a - 1].isspace())]


def verbatim_items(docs: Sequence[dict], splits: dict[str, str], tok, s: EvalSetSettings) -> list[dict]:
    """Prefix -> continuation windows, non-overlapping within a document, cut between words.

    A window starts at a word, the prefix ends at the first word boundary at or after `prefix_tokens`
    tokens and the continuation at the first one after `continuation_tokens` more (so neither side is
    a word fragment, and both tokenise alone as they did in the document). n_prompt_tokens and
    n_answer_tokens are the lengths of the prompt and answer tokenised on their own; the model is
    asked for n_answer_tokens tokens.
    """
    p, c = s.prefix_tokens, s.continuation_tokens
    cands = []
    for doc in docs:
        text = doc["text"]
        offs = _offsets(tok, text)
        starts = word_starts(text, offs)
        at_or_after = lambda k: starts[n] if (n := bisect_left(starts, k)) < len(starts) else None  # noqa: E731
        first = at_or_after(0)
        while first is not None:
            cut = at_or_after(first + p)
            stop = at_or_after(cut + c) if cut is not None else None
            end_tok = stop if stop is not None else (len(offs) if cut is not None and len(offs) - cut >= c else None)
            if cut is None or end_tok is None:
                break
            start, end = offs[first][0], offs[end_tok - 1][1]
            start += len(text[start:end]) - len(text[start:end].lstrip())
            end = start + len(text[start:end].rstrip())
            prompt = text[start:offs[cut][0]].rstrip()  # the space before the next word belongs to the answer
            answer = text[start + len(prompt):end]
            if prompt and answer.strip():
                row = _row("verbatim", doc, splits[doc["doc_id"]], start, end, prompt=prompt, answer=answer,
                           n_prompt_tokens=len(tok(prompt, add_special_tokens=False)["input_ids"]),
                           n_answer_tokens=len(tok(answer, add_special_tokens=False)["input_ids"]))
                cands.append(row | {"_priority": _priority(s.sample_seed, "verbatim", doc["doc_id"], start)})
            first = stop
    return _pick(cands, s.verbatim_items, "doc_id", s.verbatim_per_doc)


def sentences(text: str) -> Iterable[tuple[int, int]]:
    """(start, end) character spans of sentences: one line at a time, split after . ! ? before a capital."""
    for line in re.finditer(r"[^\n]+", text):
        if line.group().lstrip().startswith("#"):  # a Markdown heading is not a sentence
            continue
        start = line.start()
        for m in SENTENCE_END.finditer(line.group()):
            before = line.group()[:m.start()].rstrip(".!?\"'”’)]")
            if before.split(" ")[-1] in ABBREVIATIONS:
                continue
            yield start, line.start() + m.start()
            start = line.start() + m.end()
        if line.end() > start:
            yield start, line.end()


def cloze_items(docs: Sequence[dict], splits: dict[str, str], anchors: Sequence[dict], s: EvalSetSettings) -> list[dict]:
    """Sentences cut before an anchored term; the answer is the term, the alternative its replacement.

    Every occurrence of a term that the sentence has not already shown before it is a candidate, so the
    prompt may hold other anchored terms (the context that makes it a question: "Harry's best friend was"
    -> " Ron"), but never the answer itself.
    """
    replacement = {}
    for a in anchors:
        term, rep = (a.get("term") or "").strip(), (a.get("replacement") or "").strip()
        if term and rep and rep != term:
            replacement.setdefault(term, rep)
    pattern = M.term_pattern(list(replacement))
    if pattern is None:
        return []
    cands = []
    for doc in docs:
        text = doc["text"]
        for start, end in sentences(text):
            for m in pattern.finditer(text, start, end):
                prompt = text[start:m.start()].rstrip()
                if len(prompt.split()) < s.cloze_min_prompt_words or M.term_pattern([m.group()]).search(prompt):
                    continue
                gap = text[start + len(prompt):m.start()]
                row = _row("cloze", doc, splits[doc["doc_id"]], start, end, prompt=prompt, answer=gap + m.group(),
                           alternative=gap + replacement[m.group()], term=m.group(),
                           item_id=f"cloze:{doc['doc_id']}:{m.start()}")
                cands.append(row | {"_priority": _priority(s.sample_seed, "cloze", doc["doc_id"], m.start())})
    return _pick(cands, s.cloze_items, "term", s.cloze_per_term)


def membership_items(docs: Sequence[dict], splits: dict[str, str], tok, s: EvalSetSettings) -> list[dict]:
    """Consecutive excerpts of `membership_tokens` tokens; a short last one is kept if long enough."""
    cands = []
    for doc in docs:
        offs = _offsets(tok, doc["text"])
        for first in range(0, len(offs), s.membership_tokens):
            last = min(first + s.membership_tokens, len(offs)) - 1
            if last - first + 1 < s.membership_min_tokens:
                continue
            row = _row("membership", doc, splits[doc["doc_id"]], offs[first][0], offs[last][1],
                       n_prompt_tokens=last - first + 1)
            cands.append(row | {"_priority": _priority(s.sample_seed, "membership", doc["doc_id"], first)})
    return _pick(cands, s.membership_items, "doc_id", s.membership_per_doc)


def build_eval_items(documents: Sequence[dict], anchors: Sequence[dict], tok, settings: EvalSetSettings,
                     *, splits: dict[str, str] | None = None, target: str | None = None,
                     version: str | None = None) -> list[dict]:
    """Every `eval_items` row of a target: documents rows (doc_id, text) and anchors rows (term, replacement).

    splits: {doc_id: "forget" | "holdout"} (the blocks stage's, so items sit on the side their blocks are on);
    default: training.holdout.split_documents with share 0.2, seed 0.
    """
    docs = sorted((d for d in documents if (d.get("text") or "").strip()), key=lambda d: d["doc_id"])
    if not docs:
        raise ObliviateError("evaluation items: the target has no documents with text")
    splits = splits if splits is not None else split_documents([d["doc_id"] for d in docs])
    missing = [d["doc_id"] for d in docs if d["doc_id"] not in splits]
    if missing:
        raise ObliviateError(f"evaluation items: document {missing[0]!r} has no forget/holdout side")
    rows = (verbatim_items(docs, splits, tok, settings) + cloze_items(docs, splits, anchors, settings)
            + membership_items(docs, splits, tok, settings))
    return [{"target": target, "eval_items_version": version, **r} for r in rows]


def items_of(rows: Iterable[dict], kind: str) -> list[dict]:
    """The rows of one kind, in a stable order (by item_id)."""
    if kind not in KINDS:
        raise ObliviateError(f"evaluation item kind must be one of {', '.join(KINDS)}, got {kind!r}")
    return sorted((r for r in rows if r["kind"] == kind), key=lambda r: r["item_id"])


def subset(rows: Iterable[dict], n: int, seed: int = 0) -> list[dict]:
    """At most n rows per (kind, split), chosen by hash of item_id: a cheaper, still unbiased sample of the items."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["kind"], r["split"]), []).append(r)
    return [r for key in sorted(groups)
            for r in sorted(groups[key], key=lambda r: _priority(seed, "subset", r["item_id"]))[:n]]


# The `evalsets` stage: the items of a target, stored as a versioned table (docs/evaluation.md).
STAGE = Stage("evalsets", inputs={"documents": "ingest", "dictionary": "anchors", "blocks": "blocks"},
              outputs=("eval_items",), settings=EvalSetSettings, code_version="evalsets_v1",
              summary="Build the forgetting evaluation items (verbatim, cloze, membership) from the corpus and dictionary.")


def make_evalsets(store: Store, target: str, settings: EvalSetSettings, *, documents: Artifact, dictionary: Artifact,
                  blocks: Artifact, tokenizer, tokenizer_id: str, progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """The `evalsets` artifact: eval_items rows on the forget / holdout split the blocks were cut with."""
    from corpus_tools.blocks import BlockSettings, document_splits

    if blocks.parents.get("documents") != documents.version:
        raise ObliviateError(f"blocks {blocks.version} were not made from documents {documents.version}")

    def build(st, version: str) -> None:
        started = time.perf_counter()
        # the blocks artifact's own share and seed: every item sits on the side its document's blocks are on
        split = BlockSettings(**{k: blocks.settings[k] for k in ("holdout_share", "split_seed") if k in blocks.settings})
        if "holdout_share" not in blocks.settings:  # blocks made before the split: everything was trained on
            split = split.model_copy(update={"holdout_share": 0.0})
        splits = document_splits(store, documents, split)
        docs = store.read("documents", documents, columns=["doc_id", "text"]).to_pylist()
        anchors = store.read("anchors", dictionary, columns=["term", "replacement"]).to_pylist()
        advance = task(progress, "evalsets", 1, "sets")
        rows = build_eval_items(docs, anchors, tokenizer, settings, splits=splits, target=target, version=version)
        advance(1)
        st.write("eval_items", rows)
        counts: dict[str, int] = {}
        for r in rows:
            counts[f"{r['kind']}_{r['split']}"] = counts.get(f"{r['kind']}_{r['split']}", 0) + 1
        st.stats = {"items": len(rows), **counts, "holdout_documents": sum(v == "holdout" for v in splits.values()),
                    "seconds": round(time.perf_counter() - started, 2)}

    return produce(store, STAGE, target, key=settings.model_dump() | {"tokenizer": tokenizer_id},
                   inputs={"documents": documents, "dictionary": dictionary, "blocks": blocks}, build=build)
