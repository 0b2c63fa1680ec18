"""Verbs that run stages from a target file: `run` (every stage), one verb per stage, and `init`.

Every stage verb is generated from the registry (pipelines/stages.py): `obliviate <stage> TARGET_FILE
[--set section.key=value ...]` resolves the stages before it exactly as `run` does and builds that one
stage. Settings come only from the target file and `--set`; no verb re-declares a setting.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import List, Optional

import typer

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter
from corpus_tools.store import Artifact, Store
from pipelines.app import WORKSPACE, app, info, session
from pipelines.output import print_rows
from pipelines.stages import BY_NAME, STAGES, STEPS, run_pipeline
from pipelines.target import TargetConfig, load_target
from training.intervals import shown_interval
from training.models import ROLES

# The results table's rows, in reading order: (metric, label). Definitions in docs/evaluation.md; every metric and its
# interval stays in the `metrics` table and the report. Rows no model has are left out.
RESULT_ROWS = [
    ("familiarity_lexicon_test", "familiarity, independent lexicon (test)"),
    ("familiarity_lexicon_loose_test", "familiarity, loose lexicon (test)"),
    ("familiarity_completion_test", "familiarity, graded by the dictionary (test)"),
    ("familiarity_probability", "familiarity, probability of the true term"),
    ("knowledge_exact_forget", "exact match, forget cloze"),
    ("knowledge_choice_acc_forget", "two-choice, forget cloze"),
    ("verbatim_rouge_l_forget", "verbatim ROUGE-L, forget"),
    ("membership_auc_mink_pp", "Min-K%++ AUC, forget vs holdout"),
    ("relearn_recovery_knowledge_choice_acc_forget", "relearning recovery, two-choice"),
    ("relearn_recovery_knowledge_exact_forget", "relearning recovery, exact"),
    # the half of the items no recipe was chosen on (docs/evaluation.md, "Two halves of the items")
    ("relearn_recovery_knowledge_choice_acc_forget_test", "relearning recovery, two-choice (test half)"),
    ("relearn_recovery_knowledge_exact_forget_test", "relearning recovery, exact (test half)"),
    ("relearn_beyond_control_knowledge_choice_acc_forget", "relearning beyond the attacked base model, two-choice"),
    ("relearn_beyond_control_knowledge_exact_forget", "relearning beyond the attacked base model, exact"),
    ("general_perplexity", "general perplexity"),
    ("other_register_perplexity", "other-register perplexity"),
    ("knowledge_accuracy", "knowledge"),
]
SPLITS = ("test", "dev")
SPLIT = typer.Option("test", "--split", metavar="test|dev",
                     help="Which split the results table shows: test (the reported one, default) or dev (for trials: "
                          "choose a recipe on dev and read test after; docs/evaluation.md).")


def split_rows(split: str) -> list[tuple[str, str]]:
    """RESULT_ROWS for one split: every `_test` metric as its `_dev` twin, and the relearning figures pooled over both
    halves of the items as their dev half (the pooled ones hold the test half), so that `dev` shows no test item."""
    if split not in SPLITS:
        from corpus_tools.errors import ObliviateError

        raise ObliviateError(f"--split {split!r}: choose one of {', '.join(SPLITS)}")
    if split == "test":
        return list(RESULT_ROWS)
    out: list[tuple[str, str]] = []
    for metric, label in RESULT_ROWS:
        if metric.endswith("_test"):
            metric, label = metric.removesuffix("_test") + "_dev", label.replace("(test half)", "(dev half)").replace(
                "(test)", "(dev)")
        elif metric.startswith("relearn_"):
            metric, label = metric + "_dev", label + " (dev half)"
        if (metric, label) not in out:
            out.append((metric, label))
    return out


TARGET_FILE = typer.Argument(..., metavar="TARGET_FILE", show_default=False, help="Target TOML file (e.g. data/targets/harry_potter/target.toml; `obliviate init` writes one).")
SET = typer.Option([], "--set", metavar="SECTION.KEY=VALUE", help="Override a setting of the target file, e.g. --set labels.alpha=2.5 (repeatable). "
                                     "A run with --set is a trial: the target's current versions stay as the file says.")


def main_process() -> bool:
    """False in the non-main processes of `accelerate launch` (they train their shard and never publish)."""
    return int(os.environ.get("RANK", "0")) == 0


def execute(ctx: typer.Context, target_file: Path, overrides: list[str], workspace: Optional[Path], **how) -> dict[str, Artifact]:
    """Load the target file, run the stages asked for, and record the current versions of a plain run."""
    config = load_target(target_file, overrides)
    ws = session(ctx).store(workspace)
    main = main_process()
    log = info if main else (lambda message: None)
    lock = ws.writer_lock() if main else contextlib.nullcontext()
    reporter = session(ctx).reporter() if main else contextlib.nullcontext(Reporter())
    with lock, reporter as progress:
        if main and how.get("only") is None:
            info(f"target {config.name!r}, workspace {ws.root}" + (f" (trial: {', '.join(overrides)})" if overrides else ""))
        arts = run_pipeline(ws, config, progress=progress, log=log, **how)
        if main and not overrides:
            record_current(ws, config, arts)
    return arts


def record_current(store: Store, config: TargetConfig, arts: dict[str, Artifact]) -> None:
    """The target's `current` versions: those just resolved, plus earlier ones still consistent with them."""
    current = {**store.current(config.name), **{name: a.version for name, a in arts.items() if a.kind == name}}
    for step in STEPS:  # in order, so a dropped stage also drops the stages built from it
        version = current.get(step.name)
        art = store.get(step.name, config.name, version) if version else None
        if version and (art is None or any(current.get(step.stage.inputs.get(role), parent) != parent
                                           for role, parent in art.parents.items())):
            del current[step.name]
    store.set_current(config.name, current, str(config.file))


@app.command("init")
def init_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Name of the new target."),
    from_: List[str] = typer.Option(..., "--from", metavar="PATH", help="Files, folders or globs of the target corpus (repeatable)."),
    out: Optional[Path] = typer.Option(None, help="Where to write the target file (default: targets/NAME.toml)."),
    model: str = typer.Option("smollm2-135m", help="Baseline model."),
    implant: bool = typer.Option(False, help="Teach the base model the corpus first (demos only)."),
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Write a target file for a new corpus: then `obliviate run FILE` and `obliviate report FILE`."""
    from corpus_tools.names import target_name
    from pipelines.target import render_target_file

    target_name(name)  # before the name becomes targets/NAME.toml
    out = out or Path("targets") / f"{name}.toml"
    if out.exists():
        raise ObliviateError(f"{out} already exists; choose another --out or delete it")
    for src in from_:
        if not any(ch in src for ch in "*?[") and not Path(src).exists():
            raise ObliviateError(f"source {src!r} does not exist")
    out.parent.mkdir(parents=True, exist_ok=True)
    sources = [str(Path(s).resolve()) if not any(ch in s for ch in "*?[") else s for s in from_]
    out.write_text(render_target_file(name, sources, model, implant))
    load_target(out)  # the file we wrote must validate
    ws = workspace or session(ctx).workspace
    flag = f" -w {ws}" if ws else ""
    info(f"wrote {out}; next: obliviate run {out}{flag} && obliviate report {out}{flag}")


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    target_file: Path = TARGET_FILE,
    until: Optional[str] = typer.Option(None, metavar="STAGE", help=f"Stop after this stage ({', '.join(STAGES)})."),
    force: List[str] = typer.Option([], metavar="STAGE", help="Rebuild this stage even if its version exists (repeatable)."),
    set_: List[str] = SET,
    split: str = SPLIT,
    workspace: Optional[Path] = WORKSPACE,
) -> None:
    """Run every stage of a target; stages already stored are reused."""
    split_rows(split)  # a wrong --split is one error line before any stage runs
    arts = execute(ctx, target_file, set_, workspace, until=until, force=tuple(force))
    if "evaluate" in arts and main_process():
        print_results(session(ctx).store(workspace), arts["evaluate"], split)


def _stage_verb(name: str):
    force_option = typer.Option(False, "--force", help="Rebuild this stage even if its version exists.")

    def build(ctx: typer.Context, target_file: Path, set_: List[str], force: bool, workspace: Optional[Path],
              split: str = "test") -> None:
        split_rows(split)  # a wrong --split is one error line before the stage runs
        arts = execute(ctx, target_file, set_, workspace, only=name, force=(name,) if force else ())
        if name in arts and main_process():
            held = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in arts[name].stats.items()
                             if isinstance(v, (int, float)) and not isinstance(v, bool))
            info(f"{name} {arts[name].version}: {held}")
            if name == "anchors":  # what a user should look at before training on this dictionary
                from anchors.review import summary_text

                info(summary_text(session(ctx).store(workspace).read("anchor_candidates", arts[name]).to_pylist()))
            if name == "evaluate":
                print_results(session(ctx).store(workspace), arts[name], split)

    if name == "evaluate":  # the one verb that prints the results table takes --split
        def verb(ctx: typer.Context, target_file: Path = TARGET_FILE, set_: List[str] = SET, force: bool = force_option,
                 split: str = SPLIT, workspace: Optional[Path] = WORKSPACE) -> None:
            build(ctx, target_file, set_, force, workspace, split)
    else:
        def verb(ctx: typer.Context, target_file: Path = TARGET_FILE, set_: List[str] = SET, force: bool = force_option,
                 workspace: Optional[Path] = WORKSPACE) -> None:
            build(ctx, target_file, set_, force, workspace)

    verb.__name__ = f"{name}_cmd"
    verb.__doc__ = BY_NAME[name].stage.summary + " Its inputs are resolved from the target file exactly as `run` does."
    if name == "evaluate":  # the extra's name must show literally in --help (docs/lm-eval.md)
        verb.__doc__ += " lm-eval tasks ([evaluate] lm_eval_tasks) need pip install 'obliviate[eval]'."
    return verb


for _name in STAGES:
    app.command(_name)(_stage_verb(_name))


def results(store: Store, evaluate: Artifact, split: str = "test") -> tuple[list[str], list[tuple]]:
    """The headline metrics of an evaluation, one row per metric and one column per model (it fits any terminal).

    The first row holds each model's version; fact files add their accuracies on `split` (`<stem>_accuracy_test`, with
    their interval over facts when stored), the accuracy over every item of the file when it holds items the base
    model does not know (`<stem>_all_accuracy_test`), both again asked through the chat template when measured so
    (`<stem>_chat_accuracy_test`) and the relearning attack's recovery of them (with its interval, when stored). With
    `split` "dev", no row holds a test item (`split_rows`); the figures without a split (perplexity, knowledge, the
    forget cloze) show in both.
    """
    rows_for_split = split_rows(split)
    rows = store.read("metrics", evaluate).to_pylist()
    table: dict[tuple, dict] = {}
    for r in rows:
        table.setdefault((r["model_role"], r.get("method") or "", r["model_version"]), {})[r["metric"]] = r
    order = list(ROLES.values())
    models = sorted(table, key=lambda k: (order.index(k[0]) if k[0] in order else 9, k[1]))
    names = {m for values in table.values() for m in values}
    facts = []
    for m in sorted(names):
        if m.endswith(f"_accuracy_{split}") and not m.startswith(("relearn_", "lm_eval:")):
            words = m.removesuffix(f"_accuracy_{split}").replace("_", " ")
            every = words.endswith(" all")
            words = words.removesuffix(" all")
            if words.endswith(" chat"):  # [evaluate] fact_chat: the same items asked through the chat template
                words = words.removesuffix(" chat") + ", asked in chat"
            if every:
                words += ", every item written"
            facts += [(m, f"{words} ({split})"), (f"relearn_recovery_{m}", f"relearning recovery, {words} ({split})")]
    shown = [(m, label) for m, label in rows_for_split + facts if m in names]
    intervals = {m for m, _ in facts}  # the accuracies' and their recoveries' intervals over facts, where stored
    columns = ["metric", *(f"{role} ({method})" if method and method not in (role, "causal_lm") else role
                           for role, method, _ in models)]
    out = [("version", *(version for _, _, version in models))]
    out += [(label, *(_cell(table[model].get(m), m in intervals) for model in models)) for m, label in shown]
    return columns, out


def _cell(row: dict | None, interval: bool) -> str:
    """A metric's value, and its 95% interval when asked and stored unless it is a single point."""
    if row is None:
        return ""
    shown = shown_interval(row) if interval else None
    if shown is None:
        return _fmt(row["value"])
    return f"{_fmt(row['value'])} [{shown[0]:.2f}, {shown[1]:.2f}]"


def _fmt(value) -> str:
    if value is None:
        return ""
    if value != value:  # nan: undefined (e.g. recovery where unlearning removed nothing measurable)
        return "n/a"
    return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"


def print_results(store: Store, evaluate: Artifact, split: str = "test") -> None:
    columns, rows = results(store, evaluate, split)
    shown = "" if split == "test" else ", the dev split only (the reported one: --split test)"
    info(f"results for {evaluate.target!r} (evaluate {evaluate.version}){shown}:")
    print_rows(columns, rows)
