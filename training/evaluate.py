"""evaluate: familiarity and retention of each model of a target, written as `metrics` rows.

Metrics per model (formulas in training/metrics.py): familiarity_completion_dev / _test,
familiarity_probability, general_perplexity, target_generic_perplexity, knowledge_accuracy,
optionally familiarity_completion_weighted_* (with a grader), familiarity_lexicon_* and
familiarity_lexicon_loose_* (the same completions graded by a hand-written lexicon.jsonl in the prompts
folder, training/lexicon.py), <stem>_accuracy_* per fact file (training/fact_items.py: over the items the base
model knows) and <stem>_all_accuracy_* (over every item of the file, when it holds items the base model does not know),
both again as <stem>_chat_accuracy_* and <stem>_chat_all_accuracy_* with `fact_chat` (asked through the chat template),
lm_eval:<task>:<metric>; and, from the target's `eval_items` (the evalsets stage), the forgetting metrics of
docs/evaluation.md (training/forgetting_eval.py): verbatim_*, knowledge_choice_* / knowledge_exact_*,
membership_auc_* and the gap to the base model, relearn_* / relearn_recovery_* for the attacked roles (and
relearn_beyond_control_* when the base model is attacked too, as their control), other_register_perplexity; with
their per-item `eval_scores` and the `relearn_curve`.
Each model is one Parquet part of each table, so a killed evaluation resumes with the next model.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path
from typing import Callable, Literal, Optional

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field

from corpus_tools.errors import ObliviateError
from corpus_tools.progress import Reporter, task
from corpus_tools.stage import Stage, produce
from corpus_tools.store import Artifact, Store
from training import intervals as I, metrics as M
from training.eval_data import DEFAULT_GENERAL, EvalData, fact_paths, known_facts, load_eval_data, unknown_stems
from training.generation import greedy_complete, next_token_logits, window_nll, windows
from training.distributed import compute_device
from training.models import load_model, load_tokenizer, model_folder, role_of
from training.fact_items import chat_prompts, fact_of, is_known, known as known_items, known_by_base, split_name
from training.forgetting import ForgettingSettings
from training import forgetting_eval as FE
from training.relearn import RelearnSettings, curve_rows
from training.scoring import metric_rows, score_rows
# A grader labels one (prompt, completion) pair "explicit", "thematic" or "none" (the paper used GPT-4).
Grader = Callable[[str, str], str]


class EvalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[Literal["base", "subject", "reinforced", "unlearned"]] = Field(
        default_factory=lambda: ["base", "subject", "reinforced", "unlearned"],
        description="Which of the target's models the evaluate stage measures (the base model is the forgetting metrics' reference, the subject their recovery's).")
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
    fact_files: list[str] = Field(default_factory=list, description="Completion fact files (training/fact_items.py), relative to the prompts folder: <stem>_accuracy_<split> over the items the base model knows, and <stem>_all_accuracy_<split> over every item of the file.")
    fact_new_tokens: int = Field(10, ge=1, description="Greedy tokens in which a fact's answer must appear (as when the items were chosen).")
    fact_chat: bool = Field(False, description="Also ask every fact item through each model's chat template (\"Finish this sentence: <prompt>\", greedy), graded as the completions are: <stem>_chat_accuracy_<split> and <stem>_chat_all_accuracy_<split> (docs/evaluation.md). About 4 minutes per 1,000 items and model on 2 CPU cores.")
    fact_chat_new_tokens: int = Field(24, ge=1, description="Greedy tokens of a chat reply (room for a reply that repeats the prompt first).")
    forgetting: ForgettingSettings = Field(default_factory=ForgettingSettings, description="How the forgetting metrics are measured (docs/evaluation.md).")
    relearn: RelearnSettings = Field(default_factory=lambda: RelearnSettings(eval_every=10), description="The relearning attack; by default measured only before (reused) and after its last step.")
    relearn_roles: list[str] = Field(default_factory=lambda: ["unlearned"], description="Model roles attacked by relearning ([] = none).")
    other_register_texts: Optional[str] = Field(None, description="Folder of .txt/.md prose in another register than the retain corpus (e.g. Austen), relative to the target file: other_register_perplexity.")


STAGE = Stage("evaluate", inputs={"base": "base", "subject": "implant", "reinforced": "reinforce", "unlearned": "unlearn",
                                   "dictionary": "anchors", "translation": "translate", "evalsets": "evalsets"},
              outputs=("metrics", "eval_scores", "relearn_curve"), settings=EvalSettings, code_version="evaluate_v6",  # v6: relearning followed on two halves of the items
              summary="Measure familiarity and retention of the target's models (the metrics table).")


def check_paths(settings: EvalSettings) -> Path:
    """The general set's folder, once it, the other-register folder and the fact files are checked: one error line
    for a wrong path (a wrong general_dir would silently drop perplexity and knowledge from every model). `obliviate
    run` calls it before the first stage, so a missing file is not found after hours of training."""
    general = Path(settings.general_dir) if settings.general_dir else DEFAULT_GENERAL
    if not general.is_dir():
        raise ObliviateError(f"evaluate.general_dir {general} is not a folder (the bundled general set is the default)")
    FE.other_register_files(settings.other_register_texts)
    fact_paths(Path(settings.prompts_dir), settings.fact_files)
    return general


def evaluate(store: Store, target: str, settings: EvalSettings, *, models: dict[str, Artifact],
             anchors: Artifact | None = None, translation: Artifact | None = None, evalsets: Artifact | None = None,
             progress: Reporter | None = None, grader: Grader | None = None) -> tuple[Artifact, bool]:
    """The `evaluate` artifact of these models (by role) on these prompt sets; reused when nothing changed.

    With `evalsets`, every model also gets the forgetting metrics; models["base"] is their reference and
    models["subject"] the model relearning recovery is measured against.
    """
    if not models:
        raise ObliviateError(f"evaluate: no models given for target {target!r}; run `obliviate run` or a training verb first")
    general = check_paths(settings)
    data = load_eval_data(store, Path(settings.prompts_dir), general, anchors, translation, settings.heldout_share,
                          settings.fact_files)
    # the reference first, then the subject: their forgetting scores serve the gap and the recovery of the others
    rank = {"base": 0, "subject": 1, "reinforced": 2, "unlearned": 3}
    by_role = sorted(models.items(), key=lambda kv: (rank.get(kv[0], 9), kv[0]))
    distinct = list({m.version: m for _, m in by_role}.values())
    roles_of = {m.version: {r for r, a in models.items() if a.version == m.version} for m in distinct}
    other_texts = FE.other_register_texts(settings.other_register_texts)
    if settings.fact_chat:
        _check_chat(data, models)
    if progress is not None:
        for line in unmarked_facts(data.facts):
            progress.log(line)
    # fact_chat's fields enter the version only when it is on: versions measured before it existed stay the same
    unkeyed = {"prompts_dir", "general_dir", "other_register_texts"} | (set() if settings.fact_chat else CHAT_FIELDS)
    key = {**settings.model_dump(exclude=unkeyed), "inputs": data.hashes,
           "grader": getattr(grader, "__name__", type(grader).__name__) if grader else None,
           "evalsets": evalsets.version if evalsets is not None else None,
           "other_register": _digest(other_texts) if other_texts else None}
    if data.facts and settings.relearn_roles:  # the attack follows the fact items too (absent before it did)
        key["relearn_follows_facts"] = True
    if settings.relearn_roles:  # and two halves of the items (evaluate_v6): older attacks' rows lack them
        key["relearn_halves"] = True
    if data.facts:  # the fact accuracies carry intervals (resampling whole facts); older rows lack them
        key["fact_intervals"] = True
    if data.facts and settings.relearn_roles:  # the attacked copy's per-item rows and recovery's interval: likewise
        key["relearn_fact_rows"] = True
    if unknown_stems(data.facts):  # and the accuracy over every item written, beside the known ones'
        key["fact_every_item"] = True
    inputs = {**models, **{role: a for role, a in (("dictionary", anchors), ("translation", translation),
                                                   ("evalsets", evalsets)) if a is not None}}
    started = time.perf_counter()

    def build(st, version: str) -> None:
        done = st.done_parts("metrics")
        samples, timings = {}, {}
        earlier = _earlier_metrics(store, target, key, lambda rows: _has_item_rows(rows, data, settings.fact_chat))
        items = FE.eval_items(store, evalsets)
        measured: dict[str, object] = {}  # model version -> its forgetting Scores (reference and subject reuse them)
        facts_of: dict[str, dict] = {}  # model version -> its fact accuracies (the attack follows them too)
        fact_rows_of: dict[str, list[dict]] = {}  # model version -> its fact items' rows (recovery's interval)
        fact_names = _fact_metrics(data)
        attack_blocks = None
        attacked_after: dict[str, dict[str, float]] = {}  # model version -> its last relearning point (the control's)
        base = models.get("base")
        # The base model attacked beside the others is their control, unless it is the subject (pretrained scenario)
        control_version = (base.version if base is not None and "base" in settings.relearn_roles and "subject" in models
                           and models["subject"].version != base.version else None)
        for index, art in enumerate(distinct):
            ids = {"target": target, "evaluate_version": version}
            if index in done:  # resumed: this model's rows are written; its scores may serve the next models
                rows = pq.read_table(st.part_path("eval_scores", index)).to_pylist()
                measured[art.version] = FE.scores_from_rows(rows)
                fact_rows_of[art.version] = rows
                attacked_after[art.version] = _last_point(pq.read_table(st.part_path("relearn_curve", index)).to_pylist())
                facts_of[art.version] = _fact_values(pq.read_table(st.part_path("metrics", index)).to_pylist(), fact_names)
                continue
            attacked = bool(items) and bool(roles_of[art.version] & set(settings.relearn_roles)) \
                and "subject" in models and models["subject"].version != art.version
            control = attacked_after.get(control_version) if attacked and art.version != control_version else None
            found = earlier.get((art.version, attacked))
            if found is not None and control and not any(r["metric"].startswith("relearn_beyond_control_")
                                                         for r in found.get("metrics", [])):
                found = None  # attacked before without the control beside it: measured again, with it
            if found is not None:
                # same model, prompts and settings, attacked alike: measured before, reuse it
                for table in ("eval_scores", "relearn_curve", "metrics"):  # metrics last: it marks the part done
                    st.write(table, [{**r, **ids} for r in found.get(table, [])], index=index)
                measured[art.version] = FE.scores_from_rows(found.get("eval_scores", []))
                fact_rows_of[art.version] = found.get("eval_scores", [])
                attacked_after[art.version] = _last_point(found.get("relearn_curve", []))
                facts_of[art.version] = _fact_values(found.get("metrics", []), fact_names)
                continue
            row = models_row_of(store, art)
            folder = model_folder(art)
            model, tok = load_model(folder, compute_device()), load_tokenizer(folder)
            label = f"evaluate {row['role']} {art.version}"
            item_rows: list[dict] = []
            values, shown = evaluate_model(model, tok, data, settings, grader=grader, progress=progress, label=label,
                                           item_rows=item_rows)
            facts = {k: vn for k, vn in values.items() if k in fact_names}  # {metric: (value, n)}
            facts_of[art.version] = {k: v for k, (v, _) in facts.items()}
            ids |= {"model_role": row["role"], "model_version": art.version, "method": row.get("method")}
            reference = models.get("base")
            if attacked and attack_blocks is None:
                attack_blocks = FE.forget_blocks(store, store.require("blocks", target, evalsets.parents["blocks"]))
            subject_scores = measured.get(models["subject"].version) if "subject" in models else None
            # The base model attacked as a control is measured before the subject: the attack measures the subject.
            subject_model = (load_model(model_folder(models["subject"]), compute_device())
                             if attacked and subject_scores is None else None)
            follow, followed_rows = _fact_measure(tok, data, settings) if data.facts else (None, None)
            scores, summary, result, seconds = FE.model_forgetting(
                model, tok, items, settings.forgetting,
                reference=measured.get(reference.version) if reference is not None and reference.version != art.version else None,
                attack=settings.relearn if attacked else None,
                subject=subject_scores, subject_model=subject_model,
                attack_blocks=attack_blocks, other_texts=other_texts, ppl_window=settings.ppl_window,
                ppl_batch_size=settings.ppl_batch_size, max_ppl_tokens=settings.max_ppl_tokens,
                # the known-fact items too: what the model knew of the target without our corpus, relearnt or not
                extra=follow, extra_rows=followed_rows,
                extra_unlearned=facts_of[art.version] if data.facts else None,
                extra_subject=facts_of.get(models["subject"].version) if data.facts and "subject" in models else None,
                extra_counts={k: n for k, (_, n) in facts.items()}, control=control)
            del subject_model
            measured[art.version] = scores
            fact_rows_of[art.version] = item_rows
            curve = curve_rows(result, **ids) if result is not None else []
            attacked_after[art.version] = _last_point(curve)
            relearned = [{**ids, **r, "metric": f"relearn_{r['metric']}"} for r in (result.item_rows if result else [])]
            if relearned and "subject" in models:
                for name, (low, high) in recovery_intervals(data.facts, item_rows, result.item_rows,
                                                            fact_rows_of.get(models["subject"].version, []),
                                                            settings.forgetting.recovery_min_gap).items():
                    if name in summary.summary:
                        summary.summary[name] = {**summary.summary[name], "ci_low": low, "ci_high": high}
            st.write("eval_scores", score_rows(scores, **ids) + [{**ids, **r} for r in item_rows] + relearned,
                     index=index)
            st.write("relearn_curve", curve, index=index)
            cis = fact_intervals(data.facts, item_rows)
            st.write("metrics", [
                {**ids, "metric": name, "value": float(value), "n": int(n), "ci_low": cis.get(name, (None, None))[0],
                 "ci_high": cis.get(name, (None, None))[1], "below_chance": None} for name, (value, n) in values.items()
            ] + metric_rows(summary, **ids), index=index)
            samples[art.version] = shown
            timings[art.version] = seconds | ({"relearn": result.stats} if result is not None else {})
        st.stats = {"models": len(distinct), "seconds": round(time.perf_counter() - started, 1),
                    "prompts": {k: len(v) for k, v in data.counts().items()}, "samples": samples,
                    "eval_items": len(items),
                    "forgetting": timings}

    return produce(store, STAGE, target, key=key, inputs=inputs, build=build, saved=settings.model_dump() | key)


CHAT_FIELDS = {"fact_chat", "fact_chat_new_tokens"}


def _check_chat(data: EvalData, models: dict[str, Artifact]) -> None:
    """fact_chat asks the fact items through each model's chat template: refused, before any model is measured,
    without fact items or for a model whose tokenizer has none."""
    if not data.facts:
        raise ObliviateError("evaluate.fact_chat asks the fact items in chat form, but evaluate.fact_files names none")
    if clash := sorted(set(data.facts) & {f"{stem}_chat" for stem in data.facts}):
        raise ObliviateError(f"evaluate.fact_chat: the chat form's metrics of fact file {clash[0].removesuffix('_chat')!r} "
                             f"would be named as those of fact file {clash[0]!r}; rename one of the two files")
    for role, art in {a.version: (r, a) for r, a in reversed(models.items())}.values():  # one per model, first role
        if not getattr(load_tokenizer(model_folder(art)), "chat_template", None):
            raise ObliviateError(f"evaluate.fact_chat: the tokenizer of the {role} model {art.version} has no chat "
                                 "template; set evaluate.fact_chat = false (its fact items are still asked as text)")


def _earlier_metrics(store: Store, target: str, key: dict,
                     complete: Callable[[list[dict]], bool]) -> dict[tuple[str, bool], dict[str, list[dict]]]:
    """{(model version, attacked): {table: rows}} of models already evaluated with these settings and inputs.

    A model's metrics do not depend on which other models are evaluated beside it, so adding an
    unlearned model to a target re-evaluates that model only. This holds for the forgetting rows too:
    the key holds the eval items' version, and the reference (base) and subject a model's gap and
    recovery are measured against are fixed by the model's own lineage. `relearn_roles` is not compared:
    it decides which models are attacked, so a model's rows are found under whether the relearning
    attack ran on it (rows in `relearn_curve`), and the caller takes those of the state it would
    measure now: attacking one more model re-measures that model only. Only an artifact of this code version
    (`STAGE.code_version`) that recorded every table is used, so rows measured by other code never serve; nor are a model's
    rows that `complete` rejects (its `eval_scores` rows lack the per-item rows of this code: measured before
    they existed), so a later artifact that holds them serves instead, or the model is measured again.
    """
    same = {k: v for k, v in json.loads(json.dumps(key, default=str)).items() if k != "relearn_roles"}
    found: dict[tuple[str, bool], dict[str, list[dict]]] = {}
    for art in store.artifacts("evaluate", target):
        if (art.code_version != STAGE.code_version or {k: art.settings.get(k) for k in same} != same
                or not set(STAGE.outputs) <= set(art.tables)):
            continue
        here: dict[str, dict[str, list[dict]]] = {}
        for table in STAGE.outputs:
            for r in store.read(table, art).to_pylist():
                here.setdefault(r["model_version"], {}).setdefault(table, []).append(r)
        for version, tables in here.items():  # one artifact per model: every later one holds a copy of its rows
            if "metrics" in tables and complete(tables.get("eval_scores", [])):
                found.setdefault((version, bool(tables.get("relearn_curve"))), tables)
    return found


def _last_point(curve: list[dict]) -> dict[str, float]:
    """{metric: value} at the last step of a model's `relearn_curve` rows ({} when it was not attacked)."""
    if not curve:
        return {}
    last = max(r["step"] for r in curve)
    return {r["metric"]: r["value"] for r in curve if r["step"] == last}


def _digest(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(hashlib.sha256(t.encode()).digest())
    return h.hexdigest()[:16]


def unmarked_facts(facts: dict[str, list[dict]]) -> list[str]:
    """One line per fact file holding items never measured on the base model (no `known_by_base`): they all count as
    known, so its accuracy is read over every one of them (training/fact_items.py); `obliviate facts` measures them."""
    out = []
    for stem, items in facts.items():
        if n := sum("known_by_base" not in i for i in items):
            out.append(f"evaluate: {n} of {len(items)} items of fact file {stem!r} were never measured on the base "
                       f"model and count as known; `obliviate facts TARGET_FILE` marks which ones it knows")
    return out


def _fact_metrics(data: EvalData) -> set[str]:
    return {f"{stem}_accuracy_{split}" for stem in data.facts for split in ("dev", "test")}


def _fact_values(metric_rows: list[dict], names: set[str]) -> dict[str, float] | None:
    """A model's fact accuracies (`names`) from its stored metrics rows (None when it has none)."""
    found = {r["metric"]: r["value"] for r in metric_rows if r["metric"] in names}
    return found or None


def _fact_measure(tok, data: EvalData, settings: EvalSettings) -> tuple[Callable, Callable[[], list[dict]]]:
    """The fact accuracies the relearning attack follows (the known items' only: they are what it can restore), and
    a function giving the per-item rows of its latest measure (`fact_accuracy`'s: which items a model answers)."""
    known = known_facts(data.facts)
    latest: list[dict] = []

    def measure(model) -> dict[str, float]:
        rows: list[dict] = []
        values = fact_accuracy(model, tok, known, settings, item_rows=rows)
        latest[:] = rows
        return {k: v for k, (v, _) in values.items()}

    return measure, lambda: list(latest)


def models_row_of(store: Store, art: Artifact) -> dict:
    """The `models` row of a model artifact (role, method), with the role of its stage when it has none."""
    rows = store.read("models", art).to_pylist() if "models" in art.tables else []
    row = dict(rows[0]) if rows else {}
    row["role"] = row.get("role") or role_of(art)
    return row


def evaluate_model(model, tok, data: EvalData, settings: EvalSettings, *, grader: Grader | None = None,
                   progress: Reporter | None = None, label: str = "evaluate",
                   item_rows: list[dict] | None = None) -> tuple[dict[str, tuple[float, int]], list]:
    """{metric: (value, n)} for one loaded model, and a few familiar completions to show in the report. With
    `item_rows`, the per-item rows of eval_scores are appended to it: the fact files' (fact_accuracy) and one row
    per familiarity prompt and grader (metric familiarity_completion, familiarity_lexicon and
    familiarity_lexicon_loose, value 1.0 when that grader calls the completion familiar, output the completion):
    their mean per split is the metric of the same name."""
    n_ppl = {name: windows([tok(t)["input_ids"] for t in texts], settings.ppl_window, settings.max_ppl_tokens)
             for name, texts in (("general_perplexity", data.general_texts),
                                 ("target_generic_perplexity", data.heldout_texts)) if texts}
    total = (len(data.familiarity) + len(data.probability) + len(data.knowledge)
             + sum(len(w) for w in n_ppl.values()) + (1 + settings.fact_chat) * sum(len(v) for v in data.facts.values()))
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
            graded = {"familiarity_completion": flags}
            if data.lexicon is not None:  # graded apart from the dictionary (training/lexicon.py)
                labels = [data.lexicon(prompts[i], completions[i]) for i in idx]
                graded["familiarity_lexicon"] = [g == "explicit" for g in labels]
                graded["familiarity_lexicon_loose"] = [g != "none" for g in labels]
                for name in ("familiarity_lexicon", "familiarity_lexicon_loose"):
                    out[f"{name}_{split}"] = (M.share(graded[name]), len(idx))
            if item_rows is not None:  # which prompts a model still completes with the target, in SQL
                item_rows += [{"item_id": f"familiarity: {prompts[i]}", "split": split, "metric": name,
                               "value": float(flag), "output": completions[i]}
                              for name, values in graded.items() for i, flag in zip(idx, values)]
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

    out |= fact_accuracy(model, tok, data.facts, settings, advance, item_rows)
    if settings.fact_chat:
        out |= fact_accuracy(model, tok, data.facts, settings, advance, item_rows, chat=True)

    if settings.lm_eval_tasks:
        from training.lm_eval_bridge import run_lm_eval

        out.update(run_lm_eval(model, tok, settings.lm_eval_tasks, include_path=settings.lm_eval_include,
                               limit=settings.lm_eval_limit, batch_size=settings.batch_size))
    return out, shown


def fact_accuracy(model, tok, facts: dict[str, list[dict]], settings: EvalSettings,
                  advance=lambda n=1: None, item_rows: list[dict] | None = None,
                  chat: bool = False) -> dict[str, tuple[float, int]]:
    """{<stem>_accuracy_<split>: (share of items whose greedy completion states an answer, n)} per fact file, over
    the items the base model knows (`known_by_base`; an item without it counts as known). When a file also holds
    items the base model does not know, they are completed too and <stem>_all_accuracy_<split> is the share over
    every item: a figure no selection by the base model's answers can bias (docs/pretrained.md, "Every item written").

    With `item_rows`, also one `eval_scores` row per item: metric <stem>_answered (known items) or
    <stem>_answered_unknown (the others), item_id "<stem>: <prompt>", value 1.0 when the completion states an
    answer, output the completion (which facts a model lost or gained, in SQL).

    With `chat`, each item is asked through the model's chat template instead (`fact_items.chat_prompts`, a reply of
    `fact_chat_new_tokens`) and every name carries "<stem>_chat": <stem>_chat_accuracy_<split>, <stem>_chat_answered.
    Which items count as known is still the base model's plain-text answer (`known_by_base`)."""
    out = {}
    for file_stem, items in facts.items():
        prompts = [i["prompt"] for i in items]
        stem = f"{file_stem}_chat" if chat else file_stem
        answers = greedy_complete(model, tok, chat_prompts(tok, prompts) if chat else prompts,
                                  settings.fact_chat_new_tokens if chat else settings.fact_new_tokens,
                                  settings.batch_size, advance)
        hit = [is_known(a, i["answers"]) for a, i in zip(answers, items)]
        scored = [known_by_base(i) for i in items]
        for split in ("dev", "test"):
            idx = [k for k, i in enumerate(items) if split_name(i) == split]
            if known := [k for k in idx if scored[k]]:
                out[f"{stem}_accuracy_{split}"] = (M.share([hit[k] for k in known]), len(known))
            if len(known) < len(idx):
                out[f"{stem}_all_accuracy_{split}"] = (M.share([hit[k] for k in idx]), len(idx))
        if item_rows is not None:
            item_rows += [{"item_id": fact_item_id(file_stem, i), "split": split_name(i),
                           "metric": f"{stem}_answered" if s else f"{stem}_answered_unknown", "value": float(h),
                           "output": a}
                          for i, a, h, s in zip(items, answers, hit, scored)]
    return out


def fact_item_id(stem: str, item: dict) -> str:
    """A fact item's id in `eval_scores`: "<stem>: <prompt>" (read_items refuses a prompt twice in one file)."""
    return f"{stem}: {item['prompt']}"


def fact_intervals(facts: dict[str, list[dict]], item_rows: list[dict]) -> dict[str, tuple[float, float]]:
    """{<stem>_accuracy_<split> and <stem>_all_accuracy_<split>: (ci_low, ci_high)} from the per-item rows
    fact_accuracy wrote: a bootstrap that resamples whole facts (fact_items.fact_of), since the paraphrases of one
    fact are answered or lost together and a plain interval over items would claim a precision the few facts behind
    them do not give (docs/pretrained.md)."""
    out = {}
    for (file_stem, items), form in itertools.product(facts.items(), ("", "_chat")):
        fact = {fact_item_id(file_stem, i): fact_of(i) for i in items}
        stem = file_stem + form  # the chat form's rows when fact_chat wrote them (fact_accuracy)
        known = [r for r in item_rows if r["metric"] == f"{stem}_answered"]
        unknown = [r for r in item_rows if r["metric"] == f"{stem}_answered_unknown"]
        for split in ("dev", "test"):
            known_here = [r for r in known if r["split"] == split]
            unknown_here = [r for r in unknown if r["split"] == split]
            every = known_here + unknown_here if unknown_here else []  # as fact_accuracy: only beside unknown items
            for name, here in ((f"{stem}_accuracy_{split}", known_here), (f"{stem}_all_accuracy_{split}", every)):
                if here:
                    got = I.cluster_proportion([r["value"] > 0.5 for r in here], [fact[r["item_id"]] for r in here])
                    out[name] = (got["ci_low"], got["ci_high"])
    return out


def recovery_intervals(facts: dict[str, list[dict]], unlearned: list[dict], relearned: list[dict], subject: list[dict],
                       min_gap: float) -> dict[str, tuple[float, float]]:
    """{relearn_recovery_<stem>_accuracy_<split>: (ci_low, ci_high)}: the relearning recovery of each fact file's
    known items, its interval from one bootstrap of whole facts for the three models' per-item rows (the unlearned
    model's, the attacked copy's, the subject's: `fact_accuracy` rows, <stem>_answered), as `fact_intervals`. A split
    some of whose items a model has no row for gets none."""
    answered = [{(r["metric"], r["item_id"]): r["value"] > 0.5 for r in rows}
                for rows in (unlearned, relearned, subject)]
    out = {}
    for (stem, items), split in itertools.product(facts.items(), ("dev", "test")):
        here = known_items(items, split)
        keys = [(f"{stem}_answered", fact_item_id(stem, i)) for i in here]
        if keys and all(k in a for a in answered for k in keys):
            out[f"relearn_recovery_{stem}_accuracy_{split}"] = I.cluster_recovery(
                *([a[k] for k in keys] for a in answered), [fact_of(i) for i in here], min_gap)
    return out


def _has_item_rows(rows: list[dict], data: EvalData, chat: bool = False) -> bool:
    """Whether a model's stored `eval_scores` rows hold the per-item rows of every fact file (evaluate_v3 had
    none; the items the base model does not know had none before they were measured too), in chat form too when
    `chat`, and of the familiarity prompts (evaluate_v4 had none)."""
    forms = ("", "_chat") if chat else ("",)
    wanted = ({f"{stem}{form}_answered" for stem in data.facts for form in forms}
              | {f"{stem}{form}_answered_unknown" for stem in unknown_stems(data.facts) for form in forms}
              | ({"familiarity_completion"} if data.familiarity else set()))
    return {r["metric"] for r in rows} >= wanted


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
