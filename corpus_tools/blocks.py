"""blocks: original and translated token blocks with their alignment (docs/method.md).

Each document is tokenised whole (no special tokens) and cut into blocks of `block_size` tokens
(a step of `stride` tokens; blocks never straddle documents). Each block's translation is cut from
the translated document and tokenised on its own; `corpus_tools.align` defines the position map
and the forbidden tokens exactly. Blocks are written in parts of about `part_chars` characters of
documents, so memory stays flat and a killed run resumes at the first missing part.
"""

from __future__ import annotations

import contextlib
import hashlib
import weakref
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, model_validator

from corpus_tools import align
from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store

class BlockSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    block_size: int = Field(512, ge=2, description="Tokens per block (original side).")
    stride: int | None = Field(None, ge=1, description="Tokens between block starts; default block_size (no overlap).")
    min_block_tokens: int = Field(16, ge=2, description="A document's last block shorter than this is dropped.")
    part_chars: int = Field(4_000_000, gt=0, description="Blocks are written in parts covering about this many document characters.")
    holdout_share: float = Field(0.2, ge=0, lt=1, description="Share of documents (by doc_id hash) kept out of implant, reinforce, labels and unlearn: the holdout side every forgetting metric compares with (docs/evaluation.md); 0 = every document is trained on.")
    split_seed: int = Field(0, description="Seed of the forget / holdout hash (0: the documents target_generic_perplexity holds back).")
    forbid: Literal["first", "words", "prefixes"] = Field(
        "first", description="Which tokens of a translation the labels may not use once it appeared: its first token "
                             "(first, the paper's rule), the first token of each of its words (words: the surname "
                             "of \"Darrell Bennett\" too), or also every token that spells a beginning of one of its "
                             "words (prefixes: \" B\" and \" Bal\" of \" Baldwin\"); generic pieces stay allowed "
                             "(docs/alignment.md).")

    @model_validator(mode="after")
    def _check(self) -> "BlockSettings":
        if self.stride is not None and self.stride > self.block_size:
            raise ValueError(f"stride {self.stride} > block_size {self.block_size} would skip tokens")
        return self


STAGE = Stage("blocks", inputs={"documents": "ingest", "translation": "translate"}, outputs=("blocks", "tokens"),
              settings=BlockSettings, code_version="blocks_v4",  # v4: a forget / holdout `split` per block (docs/evaluation.md)
              summary="Cut documents and their translation into aligned token blocks with the model's tokenizer.")


_BACKENDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def backend_of(tokenizer):
    """A copy of the fast tokenizer's Rust backend without truncation or padding (offsets need it)."""
    from tokenizers import Tokenizer

    try:
        return _BACKENDS[tokenizer]
    except (KeyError, TypeError):
        pass
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    if backend is None:
        raise ObliviateError(f"tokenizer {type(tokenizer).__name__} is not a fast tokenizer (no offset mappings)")
    backend = Tokenizer.from_str(backend.to_str())
    backend.no_truncation()
    backend.no_padding()
    with contextlib.suppress(TypeError):
        _BACKENDS[tokenizer] = backend
    return backend


def tokenizer_fingerprint(tokenizer) -> str:
    """A short hash of the tokenizer's full definition (vocabulary, merges, normalizer): a stable tokenizer_id."""
    return hashlib.sha256(backend_of(tokenizer).to_str().encode()).hexdigest()[:12]


def text_blocks(text: str, matcher, tokenizer, settings: BlockSettings | None = None) -> list[dict]:
    """Translate one text with a `translate.Matcher` and cut it into aligned blocks (tests, demos, audits)."""
    from corpus_tools.translate import translate_text

    settings = settings or BlockSettings()
    translated, spans = translate_text(text, matcher)
    backend = backend_of(tokenizer)
    enc = backend.encode(text, add_special_tokens=False)
    return doc_blocks(text, translated, align.Subs.from_spans(spans), enc, backend, settings, forbidden_tokens(backend, settings))


def block_starts(n: int, size: int, step: int, min_tokens: int) -> list[int]:
    """Start token of each block of a document of n tokens."""
    starts = []
    for a in range(0, max(n, 1), step):
        if n - a >= min_tokens:
            starts.append(a)
        if a + size >= n:
            break
    return starts


def forbidden_tokens(backend, settings: BlockSettings) -> align.FirstTokens:
    """What the labels may not use once a translation appeared, as `settings.forbid` says."""
    return align.FirstTokens(backend, every_word=settings.forbid == "words", prefixes=settings.forbid == "prefixes")


def doc_blocks(text: str, translated: str, subs: align.Subs, enc, backend, settings: BlockSettings,
               first_tokens: align.FirstTokens) -> list[dict]:
    """The blocks of one document (without target/version/ids), from its whole-document encoding."""
    ids = np.asarray(enc.ids, dtype=np.int32)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    starts, ends = offsets[:, 0], offsets[:, 1]
    clean = align.clean_cuts(starts, ends)
    cum = np.concatenate([[0], np.cumsum(subs.delta)])
    step = settings.stride or settings.block_size
    windows = []
    for a in block_starts(len(ids), settings.block_size, step, settings.min_block_tokens):
        b = min(a + settings.block_size, len(ids))
        lo, hi = subs.window(int(starts[a]), int(ends[b - 1]))
        # Document-level T(): lo and hi are never strictly inside a substitution.
        t_lo = lo + int(cum[np.searchsorted(subs.end, lo, side="right")])
        t_hi = hi + int(cum[np.searchsorted(subs.end, hi, side="right")])
        windows.append((a, b, lo, hi, t_lo, t_hi))
    t_encs = backend.encode_batch([translated[w[4]:w[5]] for w in windows], add_special_tokens=False)
    rows = []
    for (a, b, lo, hi, t_lo, t_hi), t_enc in zip(windows, t_encs):
        t_off = np.asarray(t_enc.offsets, dtype=np.int64).reshape(-1, 2)
        t_clean = align.clean_cuts(t_off[:, 0], t_off[:, 1])
        block_ends = ends[a:b]
        pm = align.position_map(block_ends, clean[a:b], subs, lo, hi, t_off[:, 1], t_clean)
        f_tok, f_from = align.forbidden(block_ends, subs, lo, hi, first_tokens)
        rows.append({
            "start_char": int(starts[a]), "end_char": int(ends[b - 1]), "t_start_char": t_lo, "t_end_char": t_hi,
            "input_ids": ids[a:b], "translated_ids": np.asarray(t_enc.ids, dtype=np.int32), "position_map": pm,
            "forbidden_tokens": f_tok, "forbidden_from": f_from, "n_trained": int((pm >= 0).sum()),
            "text": text[int(starts[a]):int(ends[b - 1])], "translated_text": translated[t_lo:t_hi],
        })
    return rows


def make_blocks(store: Store, target: str, settings: BlockSettings, *, documents: Artifact, translation: Artifact,
                tokenizer, tokenizer_id: str, progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """Cut the documents and their translation into aligned blocks; returns (artifact, created)."""
    if translation.parents.get("documents") != documents.version:
        raise ObliviateError(f"translation {translation.version} was not made from documents {documents.version}")

    def build(st, version: str) -> None:
        backend = backend_of(tokenizer)
        first_tokens = forbidden_tokens(backend, settings)
        subs_by_doc = _subs_by_doc(store.read("substitutions", translation))
        translated = _translated(store, translation)
        advance = task(progress, "blocks", documents.stats.get("documents"), "docs")
        splits = document_splits(store, documents, settings)
        stats = {"blocks": 0, "documents": 0, "tokens": 0, "trained_positions": 0, "dropped_documents": 0,
                 "holdout_documents": sum(s == "holdout" for s in splits.values()), "holdout_blocks": 0}
        done = st.done_parts("blocks")
        for part, docs in enumerate(store.iter_documents(documents, settings.part_chars)):
            if part in done:  # resumed after a crash: count its blocks so ids stay the same
                stats["blocks"] += pq.ParquetFile(st.part_path("blocks", part)).metadata.num_rows
                advance(len(docs))
                continue
            rows = []
            encs = backend.encode_batch([text for _, text in docs], add_special_tokens=False)
            for (doc_id, text), enc in zip(docs, encs):
                if doc_id not in translated:
                    raise ObliviateError(f"document {doc_id!r} has no translation in {translation.version}")
                blocks = doc_blocks(text, translated[doc_id], subs_by_doc.get(doc_id) or align.Subs.empty(),
                                    enc, backend, settings, first_tokens)
                for row in blocks:
                    row.update(target=target, blocks_version=version, block_id=stats["blocks"] + len(rows), doc_id=doc_id,
                               split=splits[doc_id])
                    rows.append(row)
                    stats["holdout_blocks"] += splits[doc_id] == "holdout"
                stats["documents"] += 1
                stats["dropped_documents"] += not blocks
                stats["tokens"] += sum(len(r["input_ids"]) for r in blocks)
                stats["trained_positions"] += sum(r["n_trained"] for r in blocks)
                advance(1)
            stats["blocks"] += len(rows)
            st.write("blocks", _table(rows), index=part)
        if not st.has_table("tokens"):
            st.write("tokens", vocabulary_rows(backend, target, version))
        st.stats = stats

    key = settings.model_dump() | {"tokenizer": tokenizer_id}
    if settings.forbid == "first":  # absent at the default: blocks made before the option keep their versions
        del key["forbid"]
    return produce(store, STAGE, target, key=key,
                   inputs={"documents": documents, "translation": translation}, build=build)


def document_splits(store: Store, documents: Artifact, settings: BlockSettings) -> dict[str, str]:
    """{doc_id: "forget" | "holdout"} of every document (training/holdout.py); all "forget" when the share is 0.

    Decided over all documents at once (a tiny corpus always gets both sides), so the evalsets stage, which
    calls this with the blocks artifact's settings, puts every document on the side its blocks are on.
    """
    from training.holdout import split_documents  # the rule lives with the other forgetting code

    ids = store.read("documents", documents, columns=["doc_id"]).column("doc_id").to_pylist()
    return split_documents(ids, settings.holdout_share, settings.split_seed)


def vocabulary_rows(backend, target: str, version: str) -> pa.Table:
    """Every token id with its text, so SQL can show label changes as words (" Ron" -> " Tom")."""
    size = backend.get_vocab_size(with_added_tokens=True)
    texts = backend.decode_batch([[i] for i in range(size)], skip_special_tokens=False)
    return pa.table({"target": [target] * size, "blocks_version": [version] * size,
                     "token_id": pa.array(range(size), pa.int32()), "token": texts})


def _translated(store: Store, translation: Artifact) -> dict[str, str]:
    table = store.read("translated_documents", translation, columns=["doc_id", "text"])
    return dict(zip(table.column("doc_id").to_pylist(), table.column("text").to_pylist()))


def _subs_by_doc(table: pa.Table) -> dict[str, align.Subs]:
    table = table.sort_by([("doc_id", "ascending"), ("start_char", "ascending")])
    doc = table.column("doc_id").to_pylist()
    start = table.column("start_char").to_numpy().astype(np.int64)
    end = table.column("end_char").to_numpy().astype(np.int64)
    delta = (table.column("t_end_char").to_numpy() - table.column("t_start_char").to_numpy()).astype(np.int64) - (end - start)
    term, out = table.column("term").to_pylist(), table.column("translated").to_pylist()
    result, i = {}, 0
    while i < len(doc):
        j = i
        while j < len(doc) and doc[j] == doc[i]:
            j += 1
        result[doc[i]] = align.Subs(start[i:j], end[i:j], delta[i:j], term[i:j], out[i:j])
        i = j
    return result


def _table(rows: list[dict]) -> pa.Table:
    from corpus_tools.tables import SCHEMAS

    schema = SCHEMAS["blocks"]
    return pa.table({name: [r[name] for r in rows] for name in schema.names}, schema=schema)
