"""The stage contract seen from the command line: one registry behind run, the stage verbs and status;
a verb builds exactly what `run` would; a `--set` trial never moves what the target file resolves to;
two processes under `accelerate launch` give the labels and training of one."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_tools.store import Store
from test_run_e2e import _target, copy_of_clean_run

pytestmark = pytest.mark.e2e
LAUNCH = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
          "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]


def _verb(ws, verb: str, target, *extra: str, launcher=(sys.executable,)) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OBLIVIATE_NO_PROGRESS": "1"}
    # --workspace after the verb: accepted there too
    return subprocess.run([*launcher, "-m", "pipelines.cli", verb, str(target), "-w", str(ws), *extra],
                          capture_output=True, text=True, env=env, timeout=600)


def readme_queries() -> list[str]:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("```sql\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if not line.startswith("--")]
    queries = [q.strip() for q in "\n".join(lines).split(";") if q.strip()]
    assert len(queries) >= 5
    return queries


def test_registry_is_what_run_status_and_the_cli_expose():
    import typer.main

    from pipelines import stages, status
    from pipelines.cli import app

    declared = [step.stage.name for step in stages.STEPS]
    assert declared == stages.STAGES == ["ingest", "extract", "anchors", "translate", "base", "blocks", "evalsets",
                                         "implant", "reinforce", "labels", "unlearn", "evaluate"]
    assert status.STAGES is stages.STAGES
    verbs = [name for name in typer.main.get_command(app).commands if name in declared]
    assert verbs == declared  # every stage is a verb, listed in pipeline order
    for step in stages.STEPS:  # every named input is a stage declared before it
        assert all(declared.index(src) < declared.index(step.name) or src == step.name
                   for src in step.stage.inputs.values()), step.name


def test_each_verb_builds_what_run_builds_and_current_follows_the_file(tmp_path, tiny_clean_run, capsys):
    target = tiny_clean_run[1]  # its workspace is what `run` built from this file
    by_run, by_verb = copy_of_clean_run(tiny_clean_run, tmp_path / "run"), tmp_path / "verb"
    from pipelines.cli import main

    for query in readme_queries():  # every audit query the README shows runs on a real workspace (in-process: fast)
        assert main(["-w", str(by_run), "sql", query]) == 0, query
    early = _verb(by_verb, "extract", target)  # before ingest: one line naming the stage to run first
    assert early.returncode == 2 and early.stderr.strip().splitlines()[-1].startswith("error: ingest of 'tiny'")
    for name in ("ingest", "extract", "anchors", "translate", "base", "blocks", "evalsets", "implant", "reinforce",
                 "labels", "unlearn", "evaluate"):  # in-process: twelve interpreter starts cost 40 s
        assert main(["-w", str(by_verb), name, str(target)]) == 0, name
    run_versions = dict(Store(by_run).query("select kind, version from artifacts"))
    verb_versions = dict(Store(by_verb).query("select kind, version from artifacts"))
    assert verb_versions == run_versions

    ws = Store(by_run)
    plain = ws.current("tiny")
    assert plain == {k: v for k, v in run_versions.items()}
    # A trial of a later stage (a relabel: no model runs for the labels, then unlearn and evaluate). In-process, as
    # the verbs above: each interpreter start costs about 4 s, and the subprocess path is test_run_e2e's.
    capsys.readouterr()
    assert main(["-w", str(by_run), "run", str(target), "--set", "labels.alpha=2.5"]) == 0
    assert "built in" in capsys.readouterr().err
    assert ws.current("tiny") == plain  # a trial never moves the current versions
    newest = ws.latest("labels", "tiny").version
    assert newest != plain["labels"]
    assert main(["-w", str(by_run), "run", str(target)]) == 0
    assert "built in" not in capsys.readouterr().err
    assert ws.current("tiny") == plain
    assert ws.query("select distinct labels_version from generic_labels_current") == [(plain["labels"],)]
    assert ws.query("select distinct labels_version from generic_labels_latest") == [(newest,)]
    assert ws.query("select distinct anchors_version from anchors_current") == [(plain["anchors"],)]
    assert main(["-w", str(by_run), "status", str(target), "-f", "csv"]) == 0
    shown = capsys.readouterr().out
    rows = {r["stage"]: r for r in csv.DictReader(shown.splitlines())}
    assert {s: r["resolves to"] for s, r in rows.items()} == plain, shown
    assert {r["recorded as current"] for r in rows.values()} == {"yes"}
    assert main(["-w", str(by_run), "report", str(target)]) == 0
    report = (by_run / "reports" / "tiny" / "report.md").read_text().split("## Models, settings and lineage")[0]
    trial_labels, trial_eval = ws.latest("labels", "tiny").version, ws.latest("evaluate", "tiny").version
    assert trial_eval != plain["evaluate"] and trial_labels != plain["labels"]
    assert f"Evaluate artifact {plain['evaluate']}" in report and f"Labels {plain['labels']}" in report
    assert trial_eval not in report and trial_labels not in report


def test_two_processes_equal_one(tmp_path, tiny_model_dir):
    target = _target(tmp_path, tiny_model_dir)
    one, two = tmp_path / "one", tmp_path / "two"
    from pipelines.cli import main  # the shared start and the one-process training in-process

    assert main(["-w", str(one), "run", str(target), "--until", "reinforce"]) == 0
    shutil.copytree(one, two)

    ref = _verb(one, "labels", target)  # a process as the launched ones (one thread each): the labels must be equal
    both = _verb(two, "labels", target, launcher=LAUNCH)
    assert ref.returncode == 0 and both.returncode == 0, both.stderr[-3000:]
    a, b = Store(one).latest("labels", "tiny"), Store(two).latest("labels", "tiny")
    assert a.version == b.version and b.stats["processes"] == 2
    assert Store(one).read("generic_labels", a).to_pylist() == Store(two).read("generic_labels", b).to_pylist()

    # a new alpha on the same blocks and models is a relabel: no model runs
    assert main(["-w", str(two), "labels", str(target), "--set", "labels.alpha=2.5"]) == 0
    relabelled = Store(two).latest("labels", "tiny")
    assert relabelled.stats["relabelled"] and relabelled.parents["relabel_of"] == b.version

    # training: 2 processes x batch 2 take the steps of 1 process x batch 4 (the tiny target's batch)
    assert main(["-w", str(one), "unlearn", str(target)]) == 0
    pair = _verb(two, "unlearn", target, "--set", "unlearn.batch_size=2", launcher=LAUNCH)
    assert pair.returncode == 0, pair.stderr[-3000:]
    s1, s2 = Store(one).latest("unlearn", "tiny").stats, Store(two).latest("unlearn", "tiny").stats
    assert (s1["processes"], s2["processes"]) == (1, 2) and s1["steps"] == s2["steps"]
    assert s2["epoch_losses"] == pytest.approx(s1["epoch_losses"], abs=5e-2)
