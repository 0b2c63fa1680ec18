"""The evaluate stage's forgetting part: the metrics of docs/evaluation.md for one model of a target.

Kept apart from training/evaluate.py, which only decides which model is measured when and writes the rows:
- every model: measure_forgetting on the target's `eval_items` (verbatim ROUGE-L, cloze two-choice and exact
  match, membership loss / Min-K%++ AUC), per-item rows for `eval_scores`;
- every model but the reference: the membership AUC's distance from the reference's (the base model: in a demo
  it never saw the implant; with implant disabled the base IS the subject, so the gap says how far unlearning
  moved the model from where it started, not from a never-trained model);
- the roles in `relearn_roles` (default the unlearned model): the relearning attack, its curve for
  `relearn_curve` and `relearn_*` / `relearn_recovery_*` metrics against the subject;
- with `other_register_texts`: other_register_perplexity.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional, Sequence

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from training.data import has_split
from training.forgetting import ForgettingSettings, measure_forgetting, relearn_attack
from training.membership import auc_gap
from training.relearn import RelearnResult, RelearnSettings
from training.scoring import Scores
from training.utility import text_perplexity


def eval_items(store: Store, evalsets: Artifact | None) -> list[dict]:
    return store.read("eval_items", evalsets).to_pylist() if evalsets is not None else []


def forget_blocks(store: Store, blocks: Artifact) -> tuple[list[dict], list[str]]:
    """The forget blocks ({"doc_id", "input_ids"}) of a blocks artifact (the evaluation passes the one its items were
    split with), and their doc ids: what a relearning attacker may train on."""
    columns = ["doc_id", "input_ids"] + (["split"] if has_split(blocks) else [])
    rows = [r for r in store.read("blocks", blocks, columns=columns).to_pylist() if (r.get("split") or "forget") == "forget"]
    return rows, sorted({r["doc_id"] for r in rows})


def scores_from_rows(rows: Sequence[dict]) -> Scores:
    """A Scores with the per-item rows of `eval_scores` (enough for auc_gap and the relearning attack's reuse)."""
    return Scores(per_item=[{k: r[k] for k in ("item_id", "split", "metric", "value", "output")} for r in rows])


def other_register_files(folder: str | None) -> list[Path]:
    """The .txt / .md files of the folder, in name order ([] when no folder is set); one error line when the folder
    is missing or holds none."""
    if not folder:
        return []
    path = Path(folder)
    if not path.is_dir():
        raise ObliviateError(f"evaluate.other_register_texts: {path} is not a folder (see docs/evaluation.md for "
                             f"fetching the Austen collection)")
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".txt", ".md") and p.is_file())
    if not files:
        raise ObliviateError(f"evaluate.other_register_texts: {path} holds no .txt or .md file")
    return files


def other_register_texts(folder: str | None) -> list[str]:
    """The text of each of `other_register_files`."""
    return [p.read_text(encoding="utf-8", errors="replace") for p in other_register_files(folder)]


def model_forgetting(model, tok, items: Sequence[dict], forgetting: ForgettingSettings, *,
                     reference: Scores | None = None, attack: Optional[RelearnSettings] = None,
                     subject: Scores | None = None, attack_blocks: tuple[list[dict], list[str]] | None = None,
                     other_texts: Sequence[str] = (), ppl_window: int = 256, ppl_batch_size: int = 8,
                     max_ppl_tokens: int | None = 4096, subject_model=None, extra=None, extra_unlearned=None,
                     extra_subject=None, extra_counts=None, extra_rows=None,
                     control=None) -> tuple[Scores, Scores, RelearnResult | None, dict]:
    """(measured, summary, relearning result or None, seconds) of one model.

    measured: measure_forgetting's scores (per-item rows, kept to serve as reference / subject for other models);
    summary: every `metrics` row of this model's forgetting (measured summaries, AUC gap, relearning, utility).
    reference: the reference model's measured scores (None: this model is the reference, no gap);
    attack: run the relearning attack with these settings (needs `attack_blocks`, and `subject` scores or,
    when the subject is not measured yet -- the base model attacked as a control --, `subject_model`).
    extra / extra_unlearned / extra_subject / extra_counts / extra_rows: more metrics the attack follows, their values
    for this model and the subject, their item counts and their per-item rows (forgetting.relearn_attack); control:
    the attacked base model's last curve point, for relearn_beyond_control_* (forgetting.relearn_attack).
    """
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    measured = measure_forgetting(model, tok, items, forgetting) if items else Scores()
    seconds["forgetting"] = round(time.perf_counter() - started, 1)
    summary = Scores(summary=dict(measured.summary))
    has_membership = {r["split"] for r in measured.per_item if r["metric"].startswith("membership_")} == {"forget", "holdout"}
    if reference is not None and has_membership:
        summary.update(auc_gap(measured, reference))
    result = None
    if attack is not None and items:
        if (subject is None and subject_model is None) or attack_blocks is None:
            raise ObliviateError("relearning attack: the subject's scores and the forget blocks are needed")
        started = time.perf_counter()
        result, recovered = relearn_attack(model, subject_model if subject is None else None, tok, items,
                                           attack_blocks[0], attack_blocks[1], forgetting,
                                           attack, subject_scores=subject, unlearned_scores=measured, extra=extra,
                                           extra_unlearned=extra_unlearned, extra_subject=extra_subject,
                                           extra_counts=extra_counts, extra_rows=extra_rows, control=control)
        summary.update(recovered)
        seconds["relearn"] = round(time.perf_counter() - started, 1)
    if other_texts:
        started = time.perf_counter()
        summary.summary["other_register_perplexity"] = text_perplexity(model, tok, other_texts, ppl_window,
                                                                       ppl_batch_size, max_ppl_tokens)
        seconds["other_register"] = round(time.perf_counter() - started, 1)
    return measured, summary, result, seconds
