"""The command-line framework's own exceptions, from every click the app may run on.

typer 0.2x runs on a private copy of click (`typer._click`), whose exceptions are not click's: a handler
written for `click.exceptions` alone let `obliviate run` without a file escape as "MissingParameter".
"""

from __future__ import annotations

import click
import typer

try:
    from typer._click import exceptions as _typer_click

    _CLICKS = (click.exceptions, _typer_click)
except ImportError:  # an older typer: plain click
    _CLICKS = (click.exceptions,)

EXIT = (click.exceptions.Exit, typer.Exit)
ABORT = (click.exceptions.Abort, typer.Abort)
CLICK_ERROR = tuple(m.ClickException for m in _CLICKS)
MISSING = tuple(m.MissingParameter for m in _CLICKS)


def missing_target_file(exc) -> str | None:
    """One line for a verb called without its TARGET_FILE (never a default target: `run` alone once started
    the 21-minute demo), or None for any other missing parameter."""
    if exc.param is None or exc.param.name != "target_file":
        return None
    verb = exc.ctx.info_name if exc.ctx is not None else "this verb"
    return (f"error: `obliviate {verb}` needs a TARGET_FILE, e.g. `obliviate {verb} "
            "data/targets/harry_potter/target.toml`; `obliviate init NAME --from FOLDER` writes one")
