"""lm-eval on a loaded model with a local multiple-choice task in lm-eval's own YAML format (slow: heavy import)."""

from __future__ import annotations

import json
import os

import pytest
import torch

pytestmark = pytest.mark.slow

DOCS = [
    {"question": "The capital of France is", "choices": ["Paris", "London", "Rome"], "label": 0},
    {"question": "Water freezes at zero degrees", "choices": ["Celsius", "Fahrenheit"], "label": 0},
    {"question": "The largest planet is", "choices": ["Mars", "Jupiter", "Venus"], "label": 1},
    {"question": "Bees make", "choices": ["honey", "milk"], "label": 0},
]


def test_local_multiple_choice_task_matches_hand_scoring(tiny_model_dir, tmp_path):
    pytest.importorskip("lm_eval")
    os.environ["HF_DATASETS_OFFLINE"] = "1"
    from training.models import load_model, load_tokenizer
    from training.lm_eval_bridge import run_lm_eval

    data = tmp_path / "tiny_mc.jsonl"
    data.write_text("".join(json.dumps(d) + "\n" for d in DOCS))
    (tmp_path / "tiny_mc.yaml").write_text(f"""task: tiny_mc
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{question}}}}"
doc_to_choice: "{{{{choices}}}}"
doc_to_target: "{{{{label}}}}"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
""")
    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    out = run_lm_eval(model, tok, ["tiny_mc"], include_path=str(tmp_path), batch_size=4)

    correct = 0
    with torch.inference_mode():
        for d in DOCS:  # lm-eval's rule: sum of continuation log-probs, context + " " + choice
            ctx = tok(d["question"])["input_ids"]
            scores = []
            for choice in d["choices"]:
                whole = tok(d["question"] + " " + choice)["input_ids"]
                logp = torch.log_softmax(model(torch.tensor([whole])).logits[0], -1)
                scores.append(sum(float(logp[t - 1, whole[t]]) for t in range(len(ctx), len(whole))))
            correct += int(max(range(len(scores)), key=scores.__getitem__) == d["label"])
    assert out["lm_eval:tiny_mc:acc"] == (pytest.approx(correct / len(DOCS)), len(DOCS))


def test_unknown_task_is_a_clear_error(tiny_model_dir):
    pytest.importorskip("lm_eval")
    from corpus_tools.errors import ObliviateError
    from training.models import load_model, load_tokenizer
    from training.lm_eval_bridge import run_lm_eval

    model, tok = load_model(tiny_model_dir), load_tokenizer(tiny_model_dir)
    with pytest.raises(ObliviateError, match="unknown lm-eval task.*no_such_task"):
        run_lm_eval(model, tok, ["no_such_task"])
