"""EleutherAI lm-eval on an already loaded model (optional dependency: `pip install obliviate[eval]`).

The model object is handed to lm-eval's HFLM, so nothing is fetched: tasks whose data lives on a
hub cannot run offline, but local tasks (an `include_path` of YAML files over local jsonl) can.
Results become metrics named `lm_eval:<task>:<metric>` (the filter suffix ",none" dropped).
"""

from __future__ import annotations

import logging

from corpus_tools.errors import ObliviateError


def run_lm_eval(model, tok, tasks: list[str], *, include_path: str | None = None, limit: int | None = None,
                batch_size: int = 8) -> dict[str, tuple[float, int]]:
    try:
        import lm_eval
        from lm_eval.models.huggingface import HFLM
        from lm_eval.tasks import TaskManager
    except ImportError:
        raise ObliviateError("--lm-eval needs the optional dependency lm-eval: pip install 'obliviate[eval]'") from None
    logging.getLogger("lm_eval").setLevel(logging.WARNING)
    manager = TaskManager(include_path=include_path) if include_path else TaskManager()
    unknown = [t for t in tasks if t not in manager.all_tasks]
    if unknown:
        raise ObliviateError(f"unknown lm-eval task(s) {', '.join(unknown)}"
                             + ("" if include_path else "; set [evaluate] lm_eval_include = DIR for local task files"))
    lm = HFLM(pretrained=model, tokenizer=tok, batch_size=batch_size, device=str(model.device))
    results = lm_eval.simple_evaluate(model=lm, tasks=list(tasks), limit=limit, task_manager=manager,
                                      log_samples=False, bootstrap_iters=0)
    out: dict[str, tuple[float, int]] = {}
    for task, values in results["results"].items():
        n = int(results.get("n-samples", {}).get(task, {}).get("effective", 0))
        for key, value in values.items():
            metric, _, filt = key.partition(",")
            if "stderr" in metric or not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            name = metric if filt in ("", "none") else f"{metric}_{filt}"
            out[f"lm_eval:{task}:{name}"] = (float(value), n)
    return out
