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
from corpus_tools.store import Artifact, Store, artifact_version
from training import metrics as M
from training.eval_data import EvalData, load_eval_data
from training.fact_items import is_known
from training.generation import greedy_complete, load_model, next_token_logits, window_nll, windows

CODE_VERSION = "evaluate_v1"
ROLE_OF_KIND = {"base": "base", "implant": "subject", "reinforce": "reinforced", "unlearn": "unlearned"}
# A grader labels one (prompt, completion) pair "explicit", "thematic" or "none" (the paper used GPT-4).
Grader = Callable[[str, str], str]


class EvalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

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


def evaluate(store: Store, target: str, settings: EvalSettings, *, models: list[Artifact], prompts_dir: Path,
             general_dir: Path, anchors: Artifact | None, translation: Artifact | None,
             progress: Reporter | None = None, grader: Grader | None = None) -> tuple[Artifact, bool]:
    """The `evaluate` artifact of these models on these prompt sets; reused when nothing changed."""
    if not models:
        raise ObliviateError(f"evaluate: no models given for target {target!r}; run `obliviate run` or a training verb first")
    models = list({m.version: m for m in models}.values())
    data = load_eval_data(store, Path(prompts_dir), Path(general_dir), anchors, translation, settings.heldout_share,
                          settings.fact_files)
    # Without fact files the two fact settings are left out, so versions made before they existed still match.
    plain = settings.model_dump(exclude=set() if settings.fact_files else {"fact_files", "fact_new_tokens"})
    key = {**plain, "inputs": data.hashes, "models": [m.version for m in models],
           "grader": getattr(grader, "__name__", type(grader).__name__) if grader else None}
    parents = [m.version for m in models] + [a.version for a in (anchors, translation) if a is not None]
    version = artifact_version("evaluate", key, parents, CODE_VERSION)
    if (found := store.get("evaluate", target, version)) is not None:
        return found, False
    started = time.perf_counter()
    with store.create("evaluate", target, version, parents=parents, settings=key, code_version=CODE_VERSION) as st:
        done = st.done_parts("metrics")
        samples = {}
        earlier = _earlier_metrics(store, target, key)
        for index, art in enumerate(models):
            if index in done:
                continue
            if art.version in earlier:  # same model, prompts and settings: measured before, reuse it
                st.write("metrics", [{**r, "evaluate_version": version} for r in earlier[art.version]], index=index)
                continue
            folder, row = model_folder(store, art)
            model, tok = load_model(folder)
            values, shown = evaluate_model(model, tok, data, settings, grader=grader, progress=progress,
                                           label=f"evaluate {row['role']} {art.version}")
            st.write("metrics", [
                {"target": target, "model_role": row["role"], "model_version": art.version, "metric": name,
                 "value": float(value), "n": int(n), "evaluate_version": version, "method": row.get("method")}
                for name, (value, n) in values.items()
            ], index=index)
            samples[art.version] = shown
        st.stats = {"models": len(models), "seconds": round(time.perf_counter() - started, 1),
                    "prompts": {k: len(v) for k, v in data.counts().items()}, "samples": samples}
    return store.require("evaluate", target, version), True


def _earlier_metrics(store: Store, target: str, key: dict) -> dict[str, list[dict]]:
    """Metric rows of models already evaluated with exactly these settings and inputs, by model version.

    A model's metrics do not depend on which other models are evaluated beside it, so adding an
    unlearned model to a target re-evaluates that model only.
    """
    same = json.loads(json.dumps({k: v for k, v in key.items() if k != "models"}, default=str))
    found: dict[str, list[dict]] = {}
    for art in store.artifacts("evaluate", target):
        if {k: v for k, v in art.settings.items() if k != "models"} != same:
            continue
        for r in store.read("metrics", art).to_pylist():
            found.setdefault(r["model_version"], []).append(r)
    return found


def model_folder(store: Store, art: Artifact) -> tuple[Path, dict]:
    """The HF model folder of a model artifact and its `models` row (role, method)."""
    rows = store.read("models", art).to_pylist() if "models" in art.tables else []
    row = dict(rows[0]) if rows else {}
    row.setdefault("role", ROLE_OF_KIND.get(art.kind, art.kind))
    row["role"] = row["role"] or ROLE_OF_KIND.get(art.kind, art.kind)
    if art.kind == "base" and row.get("path"):
        path = Path(row["path"])
        folder = path if path.is_absolute() else store.root / path
    else:
        folder = art.path / "model"
    if not folder.exists():
        raise ObliviateError(f"model folder of {art.kind} {art.version} is missing: {folder}")
    return folder, row


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
