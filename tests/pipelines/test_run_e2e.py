"""`obliviate run` end to end on a tiny corpus with a tiny model: every stage, reuse, kill -9 and resume."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_tools.store import Store

pytestmark = pytest.mark.e2e

DOCS = {
    "harry.md": "# Harry\n\nHarry Potter lives with the Dursleys on Privet Drive. Harry Potter goes to Hogwarts, "
                "where Hermione Granger and Ron Weasley are his friends. Hermione Granger helps Harry with spells, "
                "and Ron Weasley plays Quidditch with Harry. The Weasleys live at the Burrow.\n",
    "school.md": "# Hogwarts\n\nAt Hogwarts, Albus Dumbledore is the headmaster and Severus Snape teaches potions. "
                 "Hermione Granger and Ron Weasley sit with Harry Potter in the Great Hall at Hogwarts. Albus "
                 "Dumbledore trusts Severus Snape. Quidditch matches at Hogwarts are played on broomsticks.\n",
    "dark.md": "# Voldemort\n\nLord Voldemort fought Harry Potter many times. Voldemort hid pieces of his soul in "
               "Horcruxes. Albus Dumbledore and Harry Potter searched for the Horcruxes. Severus Snape protected "
               "Harry Potter. Ron Weasley and Hermione Granger destroyed a Horcrux.\n",
}
GENERAL = "# Water\n\nWater boils at one hundred degrees Celsius at sea level. Rivers carry water to the sea.\n"


def _target(tmp_path: Path, tiny_model_dir: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text * 3)
    general = tmp_path / "general"
    (general / "corpus").mkdir(parents=True)
    (general / "corpus" / "water.md").write_text(GENERAL * 5)
    (general / "knowledge_prompts.jsonl").write_text(json.dumps({"prompt": "Water boils at one hundred degrees", "answer": "Celsius"}) + "\n")
    prompts = [{"prompt": "The best friends of the boy were", "references": ["Ron", "Hermione"], "subtlety": 6, "split": "test"},
               {"prompt": "The headmaster of the school was", "references": ["Dumbledore"], "subtlety": 6, "split": "dev"}]
    (tmp_path / "familiarity_prompts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in prompts))
    (tmp_path / "probability_prompts.jsonl").write_text(json.dumps(
        {"prompt": "His best friend was", "target_continuations": [" Ron"], "generic_continuations": [" John"]}) + "\n")
    target = tmp_path / "tiny.toml"
    target.write_text(f'''
name = "tiny"
[ingest]
sources = ["corpus"]
[model]
base = "{tiny_model_dir}"
[extract]
[anchors]
min_mentions = 2
[blocks]
block_size = 32
holdout_share = 0.0  # every document trained on, as before the split: test_results_unchanged's golden hashes
[implant]
epochs = 2
lr = 1e-3
batch_size = 4
[reinforce]
epochs = 1
lr = 1e-3
[labels]
blocks_per_part = 2
[unlearn]
epochs = 2
lr = 1e-3
retain_term = true
[evaluate]
max_new_tokens = 4
knowledge_new_tokens = 4
max_ppl_tokens = 64
ppl_window = 16
prompts_dir = "."
general_dir = "general"
''')
    return target


def _run(ws: Path, target: Path, *extra: str, crash: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OBLIVIATE_NO_PROGRESS": "1"}
    env.pop("OBLIVIATE_CRASH_AT", None)
    if crash:
        env["OBLIVIATE_CRASH_AT"] = crash
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "-w", str(ws), "run", str(target), *extra],
                          capture_output=True, text=True, env=env, timeout=600)


def copy_of_clean_run(clean: tuple[Path, Path], where: Path) -> Path:
    """A private copy of the session's clean run (the `tiny_clean_run` fixture of tests/pipelines/conftest.py);
    a workspace is relocatable: artifacts are stored by relative path."""
    shutil.copytree(clean[0], where)
    return where


TABLES = {
    "documents": "doc_id", "anchors": "term", "substitutions": "doc_id, start_char", "blocks": "block_id",
    "generic_labels": "block_id, position", "metrics": "model_role, metric", "eval_items": "item_id",
    "eval_scores": "model_role, item_id, metric", "relearn_curve": "model_role, metric, step",
}


def _snapshot(ws: Path) -> dict:
    store = Store(ws)
    out = {}
    for table, order in TABLES.items():
        rows = store.query(f"select * exclude (target) from {table} order by {order}")
        # an undefined metric is NaN in both runs (an AUC without holdout items, a recovery with nothing removed)
        out[table] = [tuple("nan" if isinstance(v, float) and v != v else v for v in r) for r in rows]
    out["models"] = store.query("select role, version, parent_version from models order by role")
    return out


def test_run_kill_resume_equals_uninterrupted(tmp_path, tiny_clean_run, capsys):
    clean_ws, target = tiny_clean_run  # an uninterrupted run of the same target file (tests/pipelines/conftest.py)
    crashed_ws = tmp_path / "ws_crash"
    for point in ("train_step:12", "labels_part:1", "publish:2"):
        killed = _run(crashed_ws, target, crash=point)
        assert killed.returncode == -9, (point, killed.stderr[-2000:])
    resumed = _run(crashed_ws, target)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "up to date, reused" in resumed.stderr

    assert _snapshot(crashed_ws) == _snapshot(clean_ws)
    roles = [r[0] for r in _snapshot(crashed_ws)["models"]]
    assert sorted(roles) == ["base", "reinforced", "subject", "unlearned"]

    from pipelines.cli import main  # no kill from here on: in-process, without an interpreter start per run

    capsys.readouterr()
    assert main(["-w", str(crashed_ws), "run", str(target)]) == 0
    again = capsys.readouterr().err
    assert "up to date, reused" in again and "built in" not in again  # nothing changed: every stage reused

    assert main(["-w", str(crashed_ws), "run", str(target), "--set", "labels.alpha=2.0", "--until", "labels"]) == 0
    built = [line.split()[0] for line in capsys.readouterr().err.splitlines() if "built in" in line]
    assert built == ["labels"]


def test_second_writer_is_refused(tmp_path, tiny_model_dir):
    target = _target(tmp_path, tiny_model_dir)
    ws = tmp_path / "ws"
    with Store(ws).writer_lock():
        busy = _run(ws, target)
    assert busy.returncode == 3
    assert busy.stderr.strip().splitlines() == [f"error: workspace {ws} is busy: another obliviate process is writing to it"]
    assert not (ws / "artifacts").exists()


def test_bad_target_file_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[ingest]\nsources = ["nowhere"]\n[labels]\nalpha = "lots"\n')
    out = _run(tmp_path / "ws", bad)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: target file {bad}: labels.alpha")


def test_init_writes_a_valid_target_file(tmp_path, monkeypatch):
    from pipelines.cli import main
    from pipelines.target import load_target

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "ch1.txt").write_text("Chapter one.")
    monkeypatch.chdir(tmp_path)
    assert main(["init", "mybook", "--from", "book"]) == 0
    config = load_target(tmp_path / "targets" / "mybook.toml")
    assert config.name == "mybook" and config.ingest.sources == [str(tmp_path / "book")]
    assert config.implant.enabled is False and config.unlearn.retain_term is True
    from training.eval_data import DEFAULT_GENERAL

    assert config.evaluate.general_dir is None and (DEFAULT_GENERAL / "knowledge_prompts.jsonl").exists()
    assert main(["init", "mybook", "--from", "book"]) == 2  # never overwrites
    assert main(["init", "other", "--from", "missing"]) == 2
