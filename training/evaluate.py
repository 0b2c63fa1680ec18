"""evaluate: familiarity and retention of each model of a target, written as `metrics` rows.

Metrics per model (formulas in training/metrics.py): familiarity_completion_dev / _test,
familiarity_probability, general_perplexity, target_generic_perplexity, knowledge_accuracy,
optionally familiarity_completion_weighted_* (with a grader), familiarity_lexicon_* and
familiarity_lexicon_loose_* (the same completions graded by a hand-written lexicon.jsonl in the prompts
folder, training/lexicon.py), <stem>_accuracy_* per fact file (training/fact_items.py) and
lm_eval:<task>:<metric>.
Each model is one Parquet part, so a killed evaluation resumes with the next model.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Optional

from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from training import metrics as M
from training.eval_data import DEFAULT_GENERAL, EvalData, load_eval_data
from training.generation import greedy_complete, next_token_logits, window_nll, windows
from training.models import load_model, load_tokenizer, model_folder, role_of
from training.fact_items import is_known
# A grader labels one (prompt, completion) pair "explicit", "thematic" or "none" (the paper used GPT-4).
Grader = Callable[[str, str], str]


class EvalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompts_dir: str = Field(".", description="Folder with familiarity_prompts.jsonl and probability_prompts.jsonl, relative to the target file (without them only retention is measured).")
    general_dir: Optional[str] = Field(None, description="Folder with the general corpus/ and knowledge_prompts.jsonl (default: the bundled general set).")

    max_new_tokens: int = Field(24, ge=1, description="Greedy tokens generated per familiarity prompt.")
    knowledge_new_tokens: int = Field(8, ge=1, description="Greedy tokens in which a knowledge answer must appear.")
    batch_size: int = Field(32, ge=1, description="Prompts per batched generation / forward pass (32 was 25% faster than 16 on CPU).")
    ppl_window: int = Field(256, ge=2, description="Tokens per perplexity window (no overlap).")
    ppl_batch_size: int = Field(8, ge=1, description="Windows per forward pass.")
    max_ppl_tokens: Optional[int] = Field(4096, ge=2, description="Cap on tokens scored per perplexity corpus, in evenly spaced windows (None: all); keeps one model under 2 CPU minutes.")
    heldout_share: float = Field(0.2, gt=0, le=1, description="Share of translated documents (chosen by doc_id hash) held back for target_generic_perplexity.")
    lm_eval_tasks: list[str] = Field(default_factory=list, description="EleutherAI lm-eval task names (needs `pip install obliviate[eval]`).")
    lm_eval_include: Optional[str] = Field(None, description="Folder of extra lm-eval task YAML files.")
    lm_eval_limit: Optional[int] = Field(None, ge=1, description="At most this many examples per lm-eval task.")
    fact_files: list[str] = Field(default_factory=list, description="Completion fact files (training/fact_items.py), relative to the prompts folder: <stem>_accuracy_<split> over the items the base model knows.")
    fact_new_tokens: int = Field(10, ge=1, description="Greedy tokens in which a fact's answer must appear (as when the items were chosen).")


STAGE = Stage("evaluate", inputs={"base": "base", "subject": "implant", "reinforced": "reinforce", "unlearned": "unlearn",
                                   "dictionary": "anchors", "translation": "translate"},
              outputs=("metrics",), settings=EvalSettings, code_version="evaluate_v2",
              summary="Measure familiarity and retention of the target's models (the metrics table).")


def evaluate(store: Store, target: str, settings: EvalSettings, *, models: dict[str, Artifact],
             anchors: Artifact | None = None, translation: Artifact | None = None,
             progress: Reporter | None = None, grader: Grader | None = None) -> tuple[Artifact, bool]:
    """The `evaluate` artifact of these models (by role) on these prompt sets; reused when nothing changed."""
    if not models:
        raise ObliviateError(f"evaluate: no models given for target {target!r}; run `obliviate run` or a training verb first")
    general = Path(settings.general_dir) if settings.general_dir else DEFAULT_GENERAL
    data = load_eval_data(store, Path(settings.prompts_dir), general, anchors, translation, settings.heldout_share,
                          settings.fact_files)
    distinct = list({m.version: m for m in models.values()}.values())
    key = {**settings.model_dump(exclude={"prompts_dir", "general_dir"}), "inputs": data.hashes,
           "grader": getattr(grader, "__name__", type(grader).__name__) if grader else None}
    inputs = {**models, **{role: a for role, a in (("dictionary", anchors), ("translation", translation)) if a is not None}}
    started = time.perf_counter()

    def build(st, version: str) -> None:
        done = st.done_parts("metrics")
        samples = {}
        earlier = _earlier_metrics(store, target, key)
        for index, art in enumerate(distinct):
            if index in done:
                continue
            if art.version in earlier:  # same model, prompts and settings: measured before, reuse it
                st.write("metrics", [{**r, "evaluate_version": version} for r in earlier[art.version]], index=index)
                continue
            row = models_row_of(store, art)
            folder = model_folder(art)
            model, tok = load_model(folder), load_tokenizer(folder)
            values, shown = evaluate_model(model, tok, data, settings, grader=grader, progress=progress,
                                           label=f"evaluate {row['role']} {art.version}")
            st.write("metrics", [
                {"target": target, "model_role": row["role"], "model_version": art.version, "metric": name,
                 "value": float(value), "n": int(n), "evaluate_version": version, "method": row.get("method")}
                for name, (value, n) in values.items()
            ], index=index)
            samples[art.version] = shown
        st.stats = {"models": len(distinct), "seconds": round(time.perf_counter() - started, 1),
                    "prompts": {k: len(v) for k, v in data.counts().items()}, "samples": samples}

    return produce(store, STAGE, target, key=key, inputs=inputs, build=build, saved=settings.model_dump() | key)


def _earlier_metrics(store: Store, target: str, key: dict) -> dict[str, list[dict]]:
    """Metric rows of models already evaluated with exactly these settings and inputs, by model version.

    A model's metrics do not depend on which other models are evaluated beside it, so adding an
    unlearned model to a target re-evaluates that model only.
    """
    same = json.loads(json.dumps(key, default=str))
    found: dict[str, list[dict]] = {}
    for art in store.artifacts("evaluate", target):
        if {k: art.settings.get(k) for k in same} != same:
            continue
        for r in store.read("metrics", art).to_pylist():
            found.setdefault(r["model_version"], []).append(r)
    return found


def models_row_of(store: Store, art: Artifact) -> dict:
    """The `models` row of a model artifact (role, method), with the role of its stage when it has none."""
    rows = store.read("models", art).to_pylist() if "models" in art.tables else []
    row = dict(rows[0]) if rows else {}
    row["role"] = row.get("role") or role_of(art)
    return row


def evaluate_model(model, tok, data: EvalData, settings: EvalSettings, *, grader: Grader | None = None,
                   progress: Reporter | None = None, label: str = "evaluate") -> tuple[dict[str, tuple[float, int]], list]:
    """{metric: (value, n)} for one loaded model, and a few familiar completions to show in the report."""
    n_ppl = {name: windows([tok(t)["input_ids"] for t in texts], settings.ppl_window, settings.max_ppl_tokens)
             for name, texts in (("general_perplexity", data.general_texts),
                                 ("target_generic_perplexity", data.heldout_texts)) if texts}
    total = (len(data.familiarity) + len(data.probability) + len(data.knowledge)
             + sum(len(w) for w in n_ppl.values()) + sum(len(v) for v in data.facts.values()))
    advance = task(progress, label, total, "items")
    out: dict[str, tuple[float, int]] = {}
    shown: list[dict] = []

    if data.familiarity:
        prompts = [p["prompt"] for p in data.familiarity]
        completions = greedy_complete(model, tok, prompts, settings.max_new_tokens, settings.batch_size, advance)
        grades = [grader(p, c) for p, c in zip(prompts, completions)] if grader else None
        for split in ("dev", "test"):
            idx = [i for i, p in enumerate(data.familiarity) if p.get("split", "test") == split]
            if not idx:
                continue
            flags = []
            for i in idx:
                pattern = M.term_pattern(M.target_terms(data.anchor_terms, data.familiarity[i].get("references", [])))
                found = M.new_terms(completions[i], prompts[i], pattern)
                flags.append(bool(found))
                if found and len(shown) < 8:
                    shown.append({"prompt": prompts[i], "completion": completions[i], "terms": sorted(found)})
            out[f"familiarity_completion_{split}"] = (M.share(flags), len(idx))
            if data.lexicon is not None:  # graded apart from the dictionary (training/lexicon.py)
                labels = [data.lexicon(prompts[i], completions[i]) for i in idx]
                out[f"familiarity_lexicon_{split}"] = (M.share([g == "explicit" for g in labels]), len(idx))
                out[f"familiarity_lexicon_loose_{split}"] = (M.share([g != "none" for g in labels]), len(idx))
            if grades:
                out[f"familiarity_completion_weighted_{split}"] = (M.weighted_familiarity([grades[i] for i in idx]), len(idx))

    if data.probability:
        logits = next_token_logits(model, tok, [p["prompt"] for p in data.probability], settings.batch_size, advance)
        t_ids = [first_tokens(tok, p["prompt"], p["target_continuations"]) for p in data.probability]
        g_ids = [first_tokens(tok, p["prompt"], p["generic_continuations"]) for p in data.probability]
        scores = M.probability_scores(logits, t_ids, g_ids)
        out["familiarity_probability"] = (float(scores.mean()), len(scores))

    for name, pieces in n_ppl.items():
        nll, n = window_nll(model, pieces, tok.pad_token_id, settings.ppl_batch_size, advance)
        out[name] = (M.perplexity(nll, n), n)

    if data.knowledge:
        answers = greedy_complete(model, tok, [k["prompt"] for k in data.knowledge], settings.knowledge_new_tokens,
                                  settings.batch_size, advance)
        flags = [M.answer_found(a, k["answer"]) for a, k in zip(answers, data.knowledge)]
        out["knowledge_accuracy"] = (M.share(flags), len(flags))

    for stem, items in data.facts.items():
        answers = greedy_complete(model, tok, [i["prompt"] for i in items], settings.fact_new_tokens,
                                  settings.batch_size, advance)
        for split in ("dev", "test"):
            idx = [k for k, i in enumerate(items) if i.get("split", "test") == split]
            if idx:
                out[f"{stem}_accuracy_{split}"] = (M.share([is_known(answers[k], items[k]["answers"]) for k in idx]), len(idx))

    if settings.lm_eval_tasks:
        from training.lm_eval_bridge import run_lm_eval

        out.update(run_lm_eval(model, tok, settings.lm_eval_tasks, include_path=settings.lm_eval_include,
                               limit=settings.lm_eval_limit, batch_size=settings.batch_size))
    return out, shown


def first_tokens(tok, prompt: str, continuations: list[str]) -> list[int]:
    """The token a model must emit first to start each continuation right after the prompt."""
    base = tok(prompt)["input_ids"]
    ids = []
    for cont in continuations:
        joined = prompt + cont if cont[:1].isspace() or prompt[-1:].isspace() else f"{prompt} {cont}"
        full = tok(joined)["input_ids"]
        if full[:len(base)] == base and len(full) > len(base):
            ids.append(full[len(base)])
        else:  # the tokenizer merged across the boundary: fall back to the continuation alone
            alone = tok(joined[len(prompt):], add_special_tokens=False)["input_ids"]
            if alone:
                ids.append(alone[0])
    return ids
