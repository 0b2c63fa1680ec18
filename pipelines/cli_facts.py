"""The `facts` verb: which completion fact items the target's base model knows (training/fact_items.py)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from pipelines.app import WORKSPACE, app, info, session
from pipelines.cli_run import SET, TARGET_FILE, execute


@app.command("facts")
def facts_cmd(
    ctx: typer.Context,
    target_file: Path = TARGET_FILE,
    files: Optional[List[Path]] = typer.Argument(
        None, metavar="FACT_FILE", show_default=False,
        help="Fact files to mark (default: the target's [evaluate] fact_files)."),
    beside: Optional[Path] = typer.Option(
        None, "--beside", metavar="MAIN_FILE", help="Mark FACT_FILEs as selection files beside this main file: every "
                                                    "item dev, but those sharing an answer with one of its test items."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what the base model knows; change no file."),
    set_: List[str] = SET,
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Measure which fact items the base model knows: fill each item's split, known_by_base and base_completion."""
    from corpus_tools.errors import ObliviateError
    from corpus_tools.progress import task
    from pipelines.target import load_target
    from training.fact_items import measure, read_items, split_beside, split_of, summary, write_items
    from training.models import load_model, load_tokenizer, model_folder

    config = load_target(target_file, set_)
    if not files:
        files = [Path(config.evaluate.prompts_dir) / name for name in config.evaluate.fact_files]
        if not files:
            raise ObliviateError(f"no fact files: name them (obliviate facts {target_file} FILE...) or list them in "
                                 f"the target's [evaluate] fact_files")
    items = {}
    for path in files:  # every file read and checked before minutes of completions, not after
        if not path.is_file():
            raise ObliviateError(f"fact file {path} does not exist")
        items[path] = read_items(path)
    split = split_beside(read_items(beside)) if beside is not None else split_of
    arts = execute(ctx, target_file, set_, workspace, until="base")
    base = arts["base"]
    model, tok = load_model(base), load_tokenizer(model_folder(base))
    with session(ctx).reporter() as progress:
        marked = measure(model, tok, items, config.evaluate.fact_new_tokens, split, config.evaluate.batch_size,
                         advance=task(progress, "facts", sum(map(len, items.values())), "items"))
    for path, rows in marked.items():
        if not dry_run:
            write_items(path, rows)
        for line in summary(path, rows):
            info(line)
    info(f"greedy completions of base {base.version}, {config.evaluate.fact_new_tokens} new tokens; "
         + ("--dry-run: no file changed" if dry_run else f"{len(marked)} file(s) rewritten in place"))
