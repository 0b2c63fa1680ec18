"""The repair phase (docs/method.md, "Repair"): after unlearning, a few more optimizer steps with retain terms only.

The unlearned model is trained further on a repair text (folders of .md/.txt, like a retain corpus) toward the
subject's own predictions there: `kl_weight` x KL(subject || model) plus `ce_weight` x the text's next-token loss,
AdamW at a constant learning rate without weight decay, on the weights `train_only` names. No label pulls the other
way, so what these steps give back is what the text has in common with what the labels took: on the pretrained target
a text dense with real people's full names gave back neighbouring worlds the labels had taken ("after a first name,
not the confident surname"; docs/pretrained.md, screens NM and NL). The rows are taken in one shuffled order fixed by
the seed, wrapping round when there are fewer than the steps need.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import torch

from corpus_tools.progress import Reporter, task
from training.data import TrainData
from training.loop import autocast, kl_to_teacher, lm_loss, trainable


def repair_loss(logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor, kl_weight: float,
                ce_weight: float) -> torch.Tensor:
    """kl_weight x KL(teacher || model) + ce_weight x the next-token loss, over the labelled positions."""
    return kl_weight * kl_to_teacher(logits, teacher_logits, labels) + ce_weight * lm_loss(logits, labels)


def repair_steps(model, teacher, data: TrainData, stops: list[int], *, lr: float, train_only: str | None,
                 kl_weight: float = 2.0, ce_weight: float = 1.0, batch_size: int = 4, seed: int = 0,
                 precision: str = "fp32", device: torch.device | str = "cpu",
                 advance=None) -> Iterator[tuple[int, float]]:
    """Train `model` in place on `data` toward `teacher` (frozen); yields (steps done, last step's loss) after each
    count of steps in `stops` (increasing), the model then in eval mode. `advance(1)` is called after each step."""
    if not stops or stops != sorted(set(stops)) or stops[0] < 1:
        raise ValueError(f"repair steps must be increasing positive counts, got {stops}")
    params = trainable(model, train_only)
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))
    step, loss = 0, float("nan")
    for stop in stops:
        model.train()
        while step < stop:
            at = (step * batch_size) % len(order)
            rows = order[at:at + batch_size]
            batch = {k: v.to(device) for k, v in data.batch(rows).items()}
            mask = None if bool(batch["attention_mask"].all()) else batch["attention_mask"]
            with autocast(precision, device):
                logits = model(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False).logits
                with torch.no_grad():
                    held = teacher(input_ids=batch["input_ids"], attention_mask=mask, use_cache=False).logits
            out = repair_loss(logits, held, batch["labels"], kl_weight, ce_weight)
            out.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step, loss = step + 1, float(out.detach())
            if advance is not None:
                advance(1)
        model.eval()
        yield step, loss


def repair(model, teacher, data: TrainData, steps: int, *, lr: float, train_only: str | None, kl_weight: float,
           ce_weight: float, batch_size: int, seed: int, precision: str = "fp32", device: torch.device | str = "cpu",
           progress: Reporter | None = None) -> dict:
    """`steps` repair steps on `model` in place (repair_steps); returns the stats a model records."""
    started = time.perf_counter()
    advance = task(progress, "repair", steps, "steps")
    (done, last), = repair_steps(model, teacher, data, [steps], lr=lr, train_only=train_only, kl_weight=kl_weight,
                                 ce_weight=ce_weight, batch_size=batch_size, seed=seed, precision=precision,
                                 device=device, advance=advance)
    return {"repair_steps": done, "repair_last_loss": round(last, 5), "repair_rows": len(data),
            "repair_seconds": round(time.perf_counter() - started, 2)}
