"""The `report` verb's errors (its content is checked end to end in test_stage_verbs)."""

from __future__ import annotations

from pipelines.cli import main


def test_report_without_artifacts_is_one_clear_error(store, tmp_path, capsys):
    target = tmp_path / "none.toml"
    target.write_text('name = "none"\n[ingest]\nsources = ["x"]\n')
    assert main(["--workspace", str(store.root), "report", str(target)]) == 2
    assert capsys.readouterr().err.startswith("error: target 'none' has no artifacts")
