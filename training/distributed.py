"""The process group of a run: one process, or one of `accelerate launch`'s (gloo on CPU)."""

from __future__ import annotations

import torch


def accelerator():
    from accelerate import Accelerator

    # Without cpu=True, a GPU-less process under torchrun would believe it is alone (DistributedType.NO).
    return Accelerator(cpu=not torch.cuda.is_available())
