"""How far the relearning attack moves a model, against a move of rho along the attacker's gradient.

Calibrates `[unlearn] relearn_rho` (docs/method.md, "Training against the relearning attack"): the attacker's
next-token loss on other forget blocks after a move of each rho along the normalised gradient of one batch, and
after each of the attack's AdamW steps (the evaluation's defaults: batch 4, lr 1e-4, constant) with the L2
distance it has moved the weights. A rho past the line's minimum measures the valley's far wall, not the attack.
Usage: python -m benchmarks.attack_move WORKSPACE TARGET MODEL_DIR [--rho 0.05,0.1,...] [--steps 10]
"""

from __future__ import annotations

import argparse

import torch

from corpus_tools.store import Store
from training.data import next_token_data
from training.loop import lm_loss
from training.models import load_model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("workspace")
    ap.add_argument("target")
    ap.add_argument("model")
    ap.add_argument("--rho", default="0.025,0.05,0.1,0.2,0.5,1.0")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=4)
    args = ap.parse_args()
    store = Store(args.workspace)
    blocks = store.latest("blocks", args.target)
    data = next_token_data(store, blocks, pad_id=0)
    n = args.batch_size
    perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(1))
    if len(perm) < n * (args.steps + 3):
        raise SystemExit(f"{len(perm)} forget blocks: too few for {args.steps} steps of {n} and {3 * n} held out")
    attack = [perm[i * n:(i + 1) * n] for i in range(args.steps)]
    held = perm[args.steps * n:(args.steps + 3) * n]
    model = load_model(args.model).train()
    params = list(model.parameters())
    start = [p.detach().clone() for p in params]

    def loss(rows, grad: bool = False) -> torch.Tensor:
        b = data.batch(rows)
        with torch.set_grad_enabled(grad):
            return lm_loss(model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits, b["labels"])

    def moved() -> float:
        return float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(p.detach() - s) for p, s in zip(params, start)])))

    print(f"held-out forget blocks: next-token loss {float(loss(held)):.3f} at the model")
    loss(attack[0], grad=True).backward()
    grads = [p.grad.detach().clone() for p in params]
    norm = float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])))
    print(f"attacker's gradient on one batch: norm {norm:.3f}")
    for rho in (float(r) for r in args.rho.split(",")):
        with torch.no_grad():
            for p, g, s in zip(params, grads, start):
                p.copy_(s - rho * g / norm)
        print(f"  move rho {rho:g}: held-out loss {float(loss(held)):.3f}")
    with torch.no_grad():
        for p, s in zip(params, start):
            p.copy_(s)
    model.zero_grad(set_to_none=True)
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
    for step, rows in enumerate(attack, 1):
        loss(rows, grad=True).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        print(f"  attack step {step}: moved {moved():.3f}, held-out loss {float(loss(held)):.3f}")


if __name__ == "__main__":
    main()
