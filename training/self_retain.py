"""Self-samples: retain text the subject writes itself, from opening lines a user chooses.

The retain term holds the subject's predictions on the retain text (docs/methods.md). Text written by us
holds them only on what it states: a retain corpus of myths keeps the myths and nothing else
(docs/pretrained.md, trial U). Text the subject writes from a neutral opening ("In Greek mythology,",
"The author is best known for") carries what the subject itself is sure of, in its own words, across
whatever it chooses to talk about; under the KL retain term it asks the model to keep exactly those
predictions. Samples that name a term of the target's dictionary are dropped, so the retain text never
restates the target. `obliviate self-samples` writes the kept samples as .txt files of a folder, which a
target then names in `[unlearn] retain_corpus` (its content hash, as for any retain folder, enters the
model's version).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Sequence

import torch

from corpus_tools.errors import ObliviateError
from training import metrics as M


def read_seeds(path: Path) -> list[str]:
    """One opening per non-empty line; lines starting with # are comments."""
    if not path.is_file():
        raise ObliviateError(f"seeds file {path} not found")
    seeds = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    seeds = [s for s in seeds if s and not s.startswith("#")]
    if not seeds:
        raise ObliviateError(f"seeds file {path}: no openings (one per line)")
    return seeds


@torch.inference_mode()
def sample_texts(model, tok, seeds: Sequence[str], per_seed: int = 4, max_new_tokens: int = 96,
                 temperature: float = 1.0, seed: int = 0,
                 advance: Callable[[int], None] = lambda n: None) -> list[str]:
    """`per_seed` samples of each opening (opening included), drawn at `temperature` with the KV cache.

    At temperature 1 the samples are draws from the model's own distribution, so fitting them (the retain
    term's next-token loss) does not sharpen it. The generator is seeded: the same model, openings and
    settings give the same texts."""
    if per_seed < 1 or max_new_tokens < 1 or temperature <= 0:
        raise ObliviateError("self-samples: per_seed and max_new_tokens must be >= 1 and temperature > 0")
    torch.manual_seed(seed)
    out = []
    for opening in seeds:
        enc = tok([opening] * per_seed, return_tensors="pt")  # one opening per batch: equal lengths, no padding
        gen = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True, temperature=temperature,
                             top_p=1.0, top_k=0, pad_token_id=tok.pad_token_id, use_cache=True)
        for text in tok.batch_decode(gen[:, enc["input_ids"].shape[1]:], skip_special_tokens=True):
            out.append((opening + text).strip())
        advance(1)
    return out


def drop_mentions(texts: Sequence[str], terms: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """(kept texts, [(term found, text)] dropped): a sample naming a dictionary term would restate the target."""
    # the evaluation's whole-word, case-sensitive, longest-first search; single characters are no names
    pattern = M.term_pattern([t.strip() for t in terms if len(t.strip()) > 1])
    kept, dropped = [], []
    for text in texts:
        found = pattern.search(text) if pattern else None
        if found:
            dropped.append((found.group(0), text))
        else:
            kept.append(text)
    return kept, dropped


def check_new_folder(out: Path) -> None:
    """The samples' folder must be empty or absent: a retain folder's content is its version, so stale files
    must not mix in."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ObliviateError(f"{out} exists and is not an empty folder; give a new one (a retain folder's files are its version)")


def write_samples(texts: Sequence[str], out: Path, per_file: int = 20) -> list[Path]:
    """The samples as `samples_NNN.txt` files of `per_file` texts each, separated by blank lines, in a new folder."""
    if not texts:
        raise ObliviateError("self-samples: every sample named a dictionary term; nothing to write")
    check_new_folder(out)
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for start in range(0, len(texts), per_file):
        path = out / f"samples_{start // per_file:03d}.txt"
        path.write_text("\n\n".join(texts[start:start + per_file]) + "\n", encoding="utf-8")
        files.append(path)
    return files
