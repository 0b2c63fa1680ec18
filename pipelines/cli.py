"""Entry point of the `obliviate` command: runs the typer app and turns errors into one line."""

from __future__ import annotations

import os
import sys
import traceback

# Our own progress display covers every stage; the libraries' per-file bars would only interleave with it.
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import click

from corpus_tools.errors import ObliviateError
from pipelines.app import app, err_console
# Each module registers its verbs on `app`, in the order `obliviate --help` lists them.
from pipelines import cli_run, cli_retain, cli_facts, cli_review, cli_evaluate, cli_core, cli_verify, cli_export, cli_bench  # noqa: F401,E402


def main(argv: list[str] | None = None) -> int:
    from pipelines.cli_errors import ABORT, CLICK_ERROR, EXIT, MISSING, missing_target_file

    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        result = app(args=argv, standalone_mode=False)
    except EXIT as exc:
        return exc.exit_code
    except MISSING as exc:
        line = missing_target_file(exc)
        if line is None:
            exc.show()
            return exc.exit_code
        print(line, file=sys.stderr)
        return 2
    except CLICK_ERROR as exc:
        exc.show()
        return exc.exit_code
    except ABORT:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted; everything already stored is kept, rerun to resume")
        return 130
    except ObliviateError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
