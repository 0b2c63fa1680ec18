"""Fault injection for crash tests: a real `kill -9` at a named point, chosen by an environment variable.

`OBLIVIATE_CRASH_AT="train_step:3"` kills the process the third time `reached("train_step")` runs.
Unset (always, outside tests), `reached` is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "OBLIVIATE_CRASH_AT"
_counts: Counter = Counter()


def reached(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, nth = spec.partition(":")
    if name != point:
        return
    _counts[point] += 1
    if _counts[point] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
