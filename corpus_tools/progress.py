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


@contextlib.contextmanager
def rich_reporter(enabled: bool = True) -> Iterator[Reporter]:
    """A live progress display on stderr: counts, throughput and time left per task."""
    if not enabled:
        yield Reporter()
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
