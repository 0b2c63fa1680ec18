"""How well models complete the known names of the renamed translations (a screen of `[unlearn] translated_names`).

In the target's translated forget blocks with their people renamed after a people file (training/name_swap.py), every
place where a given name is followed by its own surname ("Tycho" -> " Brahe") is a slot; each model's probability of
the surname's first token there is summarised (mean, median, how many at least 0.5). It says whether unlearning lost
those completions in the target's own stories, and whether the renamed rows' term held them.
Usage: python -m benchmarks.name_slots WORKSPACE TARGET BLOCKS_VERSION PEOPLE_FILE MODEL_DIR... [--names A,B,...]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from corpus_tools.store import Store
from training.models import load_model, load_tokenizer
from training.name_swap import read_people, renamed_data


def slots(ids: torch.Tensor, people: list[tuple[list[int], int]]) -> list[tuple[int, int, int]]:
    """(row, position, surname token) wherever a given name's tokens end at `position` and the next token is the first
    token of that person's surname; `people` holds (given name's tokens, surname's first token)."""
    out = []
    for r, row in enumerate(ids.tolist()):
        for given, surname in people:
            n = len(given)
            out += [(r, i + n - 1, surname) for i in range(len(row) - n) if row[i:i + n] == given and row[i + n] == surname]
    return sorted(out)


@torch.no_grad()
def slot_probabilities(model, ids: torch.Tensor, mask: torch.Tensor, found: list[tuple[int, int, int]],
                       batch_size: int = 8) -> torch.Tensor:
    """The model's probability of each slot's surname token, one forward per batch of the rows that hold slots."""
    rows = sorted({r for r, _, _ in found})
    out = torch.zeros(len(found))
    for k in range(0, len(rows), batch_size):
        part = rows[k:k + batch_size]
        logp = model(input_ids=ids[part], attention_mask=mask[part]).logits.log_softmax(-1)
        for j, r in enumerate(part):
            for n, (r2, i, s) in enumerate(found):
                if r2 == r:
                    out[n] = logp[j, i, s].exp()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace", type=Path)
    ap.add_argument("target")
    ap.add_argument("blocks")
    ap.add_argument("people", type=Path)
    ap.add_argument("models", nargs="+", type=Path)
    ap.add_argument("--names", default=None, help="comma-separated, one per model")
    ap.add_argument("--width", type=int, default=256)
    args = ap.parse_args()
    names = args.names.split(",") if args.names else [m.parent.name for m in args.models]
    store = Store(args.workspace)
    blocks = store.require("blocks", args.target, args.blocks)
    tok = load_tokenizer(args.models[0])
    people = read_people(args.people)
    data = renamed_data(store, blocks, tok, people, args.width)
    found = slots(data.input_ids, [(tok(" " + g, add_special_tokens=False)["input_ids"],
                                    tok(" " + s, add_special_tokens=False)["input_ids"][0]) for g, s in people])
    print(f"{len(found)} slots in {len({r for r, _, _ in found})} of {len(data)} renamed blocks")
    print(f"{'model':<12} {'mean p':>7} {'median p':>9} {'p >= 0.5':>9}")
    for name, folder in zip(names, args.models):
        p = slot_probabilities(load_model(folder), data.input_ids, data.attention_mask, found)
        print(f"{name:<12} {p.mean():7.3f} {p.median():9.3f} {int((p >= 0.5).sum()):>5}/{len(p)}")


if __name__ == "__main__":
    main()
