"""A killed labels run resumes from its finished parts and ends with the rows of an uninterrupted run."""

from __future__ import annotations

import pytest

from corpus_tools.progress import Reporter
from corpus_tools.store import Store
from test_labels import TARGET, make_workspace, reinforced_dir, synth_blocks  # noqa: F401  (fixture)
from training.labels import LabelSettings, compute_labels


class Killed(Exception):
    pass


class KillAfter(Reporter):
    """Dies once `limit` blocks are done, like a run killed mid-part."""

    def __init__(self, limit: int):
        self.limit = limit

    def task(self, description, total, unit="items"):
        done = [0]

        def advance(n=1):
            done[0] += n
            if done[0] >= self.limit:
                raise Killed

        return advance


def test_killed_run_resumes_to_identical_rows(tmp_path, tiny_model_dir, reinforced_dir):
    blocks = synth_blocks(7, seed=3)
    settings = LabelSettings(top_k=8, batch_size=2, blocks_per_part=3)
    whole, resumed = Store(tmp_path / "whole"), Store(tmp_path / "resumed")
    ref, _ = compute_labels(whole, TARGET, settings, **dict(zip(("blocks", "subject", "reinforced"),
                                                                  make_workspace(whole, blocks, tiny_model_dir, reinforced_dir))))
    arts = dict(zip(("blocks", "subject", "reinforced"), make_workspace(resumed, blocks, tiny_model_dir, reinforced_dir)))
    with pytest.raises(Killed):
        compute_labels(resumed, TARGET, settings, progress=KillAfter(5), **arts)
    assert resumed.get("labels", TARGET, ref.version) is None  # nothing half-published
    staging = resumed.root / ".staging" / "labels" / TARGET / ref.version / "generic_labels"
    first = {p.name: p.stat().st_ino for p in staging.glob("part-*.parquet")}
    assert list(first) == ["part-00000.parquet"]  # part 1 was cut off mid-way
    art, created = compute_labels(resumed, TARGET, settings, **arts)
    assert created and art.version == ref.version
    assert (art.path / "generic_labels" / "part-00000.parquet").stat().st_ino == first["part-00000.parquet"]
    assert sorted(p.name for p in (art.path / "generic_labels").glob("*.parquet")) == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert resumed.read("generic_labels", art).to_pylist() == whole.read("generic_labels", ref).to_pylist()
    assert art.stats["positions"] == ref.stats["positions"] > 0
