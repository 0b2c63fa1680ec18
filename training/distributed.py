"""The process group of a run: one process, or one of `accelerate launch`'s (gloo on CPU)."""

from __future__ import annotations

import os

import torch


def accelerator():
    from accelerate import Accelerator

    # Without cpu=True, a GPU-less process under torchrun would believe it is alone (DistributedType.NO).
    return Accelerator(cpu=not torch.cuda.is_available())


def compute_device() -> torch.device:
    """Where this process runs a model outside training (the evaluate stage): its GPU when there is one (under
    `accelerate launch`, the one of its LOCAL_RANK, as accelerator() trains there), else the CPU."""
    if not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
