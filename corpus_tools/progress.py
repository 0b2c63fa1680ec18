"""Progress reporting for long stages, without tying the stages to a terminal library.

A stage takes `progress: Reporter | None` and calls `advance = progress.task("labels", total, "blocks")`
then `advance(n)` as work is done. The CLI passes a rich-backed reporter; tests pass nothing.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Callable, Iterator


class Reporter:
    """Does nothing; the base for real reporters."""

    def task(self, description: str, total: int | None, unit: str = "items") -> Callable[[int], None]:
        return lambda n=1: None

    def log(self, message: str) -> None:
        pass


def task(progress: Reporter | None, description: str, total: int | None, unit: str = "items") -> Callable[[int], None]:
    return (progress or Reporter()).task(description, total, unit)


class RichReporter(Reporter):
    def __init__(self, progress, console):
        self._progress = progress
        self._console = console

    def task(self, description, total, unit="items"):
        task_id = self._progress.add_task(description, total=total, unit=unit)

        def advance(n: int = 1) -> None:
            self._progress.advance(task_id, n)

        return advance

    def log(self, message: str) -> None:
        self._console.print(message)


class LogReporter(Reporter):
    """For logs and pipes: one plain line per task every `every` seconds, and one when it ends."""

    def __init__(self, every: float = 30.0, stream=None):
        self.every = every
        self.stream = stream or sys.stderr

    def task(self, description, total, unit="items"):
        import time

        start = last = time.monotonic()
        done = 0

        def advance(n: int = 1) -> None:
            nonlocal done, last
            done += n
            now = time.monotonic()
            if now - last >= self.every or (total and done >= total):
                last = now
                rate = done / max(now - start, 1e-9)
                left = f", {((total - done) / rate) / 60:.1f} min left" if total and rate and done < total else ""
                of = f"/{total:,}" if total else ""
                print(f"  {description}: {done:,}{of} {unit} ({rate:,.1f} {unit}/s{left})", file=self.stream, flush=True)

        return advance

    def log(self, message: str) -> None:
        print(message, file=self.stream, flush=True)


@contextlib.contextmanager
def rich_reporter(enabled: bool = True) -> Iterator[Reporter]:
    """A live progress display on stderr (counts, throughput, time left); plain periodic lines when not a terminal."""
    if not enabled:
        yield LogReporter()
        return
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    console = Console(file=sys.stderr)
    columns = [
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"), _SpeedColumn(),
        TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        yield RichReporter(progress, console)


def _SpeedColumn():
    from rich.progress import ProgressColumn
    from rich.text import Text

    class SpeedColumn(ProgressColumn):
        def render(self, task):
            speed = task.finished_speed or task.speed
            return Text("" if speed is None else f"{speed:,.1f} {task.fields.get('unit', '')}/s", style="cyan")

    return SpeedColumn()
