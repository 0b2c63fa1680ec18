"""The retain corpus: general text a method trains on so the model keeps what it knows.

By default `training/resources/retain/corpus/*.md` (package data), written for this project and kept disjoint from the
evaluation's general corpus, so a method with a retain term is never trained on what retention is
measured on. Its content hash (never its path) enters a model's version. A target may name several
folders (a list): their files are read folder by folder, in the order given.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from corpus_tools.errors import ObliviateError
from training.data import TrainData, token_rows
from training.models import load_tokenizer

# Package data (training/resources/), so an installed obliviate finds it without the source tree.
DEFAULT_RETAIN = Path(__file__).resolve().parent / "resources" / "retain" / "corpus"


RetainCorpus = str | Path | list[str] | None


def retain_files(corpus: RetainCorpus, what: str = "retain corpus") -> list[Path]:
    """The .md/.txt files of the retain folder (or of each folder of a list, in its order); errors name it `what`."""
    folders = [Path(f) for f in corpus] if isinstance(corpus, list) else [Path(corpus) if corpus else DEFAULT_RETAIN]
    if not folders:
        raise ObliviateError(f"{what}: the list of folders is empty")
    out = []
    for folder in folders:
        files = sorted(p for p in folder.glob("*") if p.suffix in (".md", ".txt")) if folder.is_dir() else []
        if not files:
            raise ObliviateError(f"{what} {folder}: no .md or .txt files")
        out += files
    return out


def retain_fingerprint(corpus: RetainCorpus, what: str = "retain corpus") -> str:
    """Content hash of the retain corpus: it enters the version, never its path (one folder given alone or as
    a one-item list hashes alike)."""
    h = hashlib.sha256()
    for f in retain_files(corpus, what):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:12]


def retain_data(corpus: RetainCorpus, tokenizer, width: int, pad_id: int = 0, what: str = "retain corpus") -> TrainData:
    """Each retain document tokenised and cut into blocks of `width` tokens (no block straddles two)."""
    pieces = []
    for f in retain_files(corpus, what):
        ids = tokenizer(f.read_text(encoding="utf-8"), add_special_tokens=False)["input_ids"]
        pieces += [ids[s:s + width] for s in range(0, len(ids), width) if len(ids[s:s + width]) >= 2]
    return token_rows(pieces, width, pad_id)


def retain_blocks(settings, source: Path, width: int) -> TrainData:
    """The retain corpus of `settings` cut with the tokenizer of the model folder `source`."""
    return retain_data(settings.retain_corpus, load_tokenizer(source), width)
