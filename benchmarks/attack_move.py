"""How far the relearning attack moves a model, against a move of rho along the attacker's gradient.

Calibrates `[unlearn] relearn_rho` (docs/method.md, "Training against the relearning attack"). The attack is the
evaluation's own (training.relearn.relearn: by default 10 AdamW steps of 4 blocks at lr 1e-4 on a tenth of the
forget documents); after each step it reports the L2 distance the attack has moved the weights and the next-token
loss on blocks of forget documents the attack never trains on. Beside it, that loss after a move of each rho along
the unlearning's own move (training.loop._attack_move with the attacker's loss training.unlearn.relearn_loss),
taken on one batch of the attack's blocks. A rho past the line's minimum measures the valley's far wall, not the
attack.
Usage: python -m benchmarks.attack_move WORKSPACE TARGET MODEL_DIR [--rho 0.05,0.1,...] [--steps 10] [--held 12]
"""

from __future__ import annotations

import argparse
import random

import torch

from corpus_tools.store import Store
from training.distributed import accelerator
from training.forgetting_eval import forget_blocks
from training.loop import Adversary, _attack_move
from training.models import load_model
from training.relearn import RelearnSettings, block_data, relearn, relearn_documents
from training.unlearn import relearn_loss


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace")
    ap.add_argument("target")
    ap.add_argument("model")
    ap.add_argument("--rho", default="0.025,0.05,0.1,0.2,0.5,1.0")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=4)
    ap.add_argument("--held", type=int, default=12, help="held-out blocks the loss is measured on")
    args = ap.parse_args()
    store = Store(args.workspace)
    blocks = store.latest("blocks", args.target)
    if blocks is None:
        raise SystemExit(f"no blocks of target {args.target!r} in {args.workspace}: run the pipeline first")
    rows, doc_ids = forget_blocks(store, blocks)
    attack = RelearnSettings(steps=args.steps, lr=args.lr, batch_size=args.batch_size, eval_every=1)
    chosen = set(relearn_documents(doc_ids, attack.forget_share, attack.seed))
    others = [r["input_ids"] for r in rows if r["doc_id"] not in chosen and len(r["input_ids"]) >= 2]
    if len(others) < args.held:
        raise SystemExit(f"{len(others)} forget blocks outside the attack's documents: too few for {args.held} held out")
    held = block_data(random.Random(1).sample(others, args.held), 0, args.held).batch(torch.arange(args.held))
    trained = [r["input_ids"] for r in rows if r["doc_id"] in chosen]
    first = block_data(trained, 0, args.batch_size).batch(torch.arange(args.batch_size))
    model = load_model(args.model).train()
    params = list(model.parameters())
    start = [p.detach().clone() for p in params]

    def held_loss(m) -> float:
        with torch.no_grad():
            return float(relearn_loss(m, held))

    def moved(m) -> float:
        return float(torch.linalg.vector_norm(torch.stack(
            [torch.linalg.vector_norm(p.detach() - s) for p, s in zip(m.parameters(), start)])))

    print(f"held-out forget blocks: next-token loss {held_loss(model):.3f} at the model")
    unit, norm = _attack_move(model, [first], Adversary(1.0, relearn_loss), params, "fp32", accelerator())
    print(f"attacker's gradient on one batch: norm {norm:.3f}")
    for rho in (float(r) for r in args.rho.split(",")):
        with torch.no_grad():
            for p, s, u in zip(params, start, unit):
                p.copy_(s if u is None else s + rho * u)
        print(f"  move rho {rho:g}: held-out loss {held_loss(model):.3f}")
    with torch.no_grad():
        for p, s in zip(params, start):
            p.copy_(s)
    result = relearn(model, rows, doc_ids, attack, lambda m: {"moved": moved(m), "held_loss": held_loss(m)})
    for point in result.curve[1:]:
        print(f"  attack step {point['step']}: moved {point['moved']:.3f}, held-out loss {point['held_loss']:.3f}")


if __name__ == "__main__":
    main()
