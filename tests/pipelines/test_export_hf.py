"""`obliviate export`: a tiny run exported as Hugging Face datasets and a model, loaded back, lineage read from cards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from corpus_tools.store import Store
from pipelines.cli import main

pytestmark = pytest.mark.e2e

sys.path.insert(0, str(Path(__file__).parent))
from test_run_e2e import copy_of_clean_run  # noqa: E402


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, tiny_clean_run):
    """(workspace, target file) of one full tiny run: this module's own copy of the session's clean run."""
    return copy_of_clean_run(tiny_clean_run, tmp_path_factory.mktemp("export_run") / "ws"), tiny_clean_run[1]


def test_export_loads_back_with_lineage(tiny_run, tmp_path):
    import datasets
    import torch
    from huggingface_hub import DatasetCard, ModelCard
    from transformers import AutoModelForCausalLM, AutoTokenizer

    ws, target = tiny_run
    out = tmp_path / "export"
    assert main(["-w", str(ws), "export", str(target), "--out", str(out)]) == 0
    store = Store(ws)
    current = store.current("tiny")

    corpus = datasets.load_from_disk(str(out / "corpus" / "saved"))
    docs = {r["doc_id"]: r for r in store.read("documents", store.get("ingest", "tiny", current["ingest"])).to_pylist()}
    translated = {r["doc_id"]: r["text"] for r in
                  store.read("translated_documents", store.get("translate", "tiny", current["translate"])).to_pylist()}
    blocks = store.get("blocks", "tiny", current["blocks"])
    has_split = "split" in store.read("blocks", blocks).column_names
    rows = [r for split in corpus for r in corpus[split]]
    assert sorted(r["doc_id"] for r in rows) == sorted(docs) and (has_split or list(corpus) == ["train"])
    for r in rows:
        assert r["text"] == docs[r["doc_id"]]["text"] and r["translated_text"] == translated[r["doc_id"]]
        assert r["translation_version"] == current["translate"]
    assert any(r["text"] != r["translated_text"] for r in rows)  # anchors were replaced
    parquet = datasets.load_dataset("parquet", data_files={
        s: str(out / "corpus" / "data" / f"{s}-00000-of-00001.parquet") for s in corpus})
    assert {s: parquet[s]["doc_id"] for s in parquet} == {s: corpus[s]["doc_id"] for s in corpus}

    dictionary = datasets.load_from_disk(str(out / "dictionary" / "saved"))
    anchors = store.read("anchors", store.get("anchors", "tiny", current["anchors"])).to_pylist()
    assert sorted(zip(dictionary["anchors"]["term"], dictionary["anchors"]["replacement"])) == \
        sorted((a["term"], a["replacement"]) for a in anchors)
    assert "decision" in dictionary["candidates"].column_names
    # the folder as the Hub reads it: the card's `configs` header says which files form which split
    # (datasets caches a folder whose card has `configs` by the card, not its files: a fresh cache_dir, docs/export.md)
    cache = str(tmp_path / "hf_cache")
    assert datasets.load_dataset(str(out / "dictionary"), "anchors", cache_dir=cache)["train"]["term"] == \
        dictionary["anchors"]["term"]
    hub_corpus = datasets.load_dataset(str(out / "corpus"))
    assert {s: hub_corpus[s].num_rows for s in hub_corpus} == {s: corpus[s].num_rows for s in corpus}
    labels = datasets.load_dataset("parquet", data_files=str(out / "labels" / "data" / "train-00000-of-00001.parquet"))
    assert labels["train"].num_rows == store.read("generic_labels", store.get("labels", "tiny", current["labels"])).num_rows > 0
    assert set(labels["train"]["labels_version"]) == {current["labels"]}

    # the dataset cards carry the lineage down to the corpus and dictionary, with named parents
    card = DatasetCard.load(out / "corpus" / "README.md").data.to_dict()["obliviate"]
    assert card["stage"] == "translate" and card["version"] == current["translate"]
    chain = {row["stage"]: row for row in card["lineage"]}
    assert chain["translate"]["parents"] == {"dictionary": current["anchors"], "documents": current["ingest"]}
    assert chain["ingest"]["version"] == current["ingest"] and chain["ingest"]["settings"]["min_chars"] == 1
    assert [r["stage"] for r in card["lineage"]][-1] == "translate"

    model = AutoModelForCausalLM.from_pretrained(out / "model")
    stored = AutoModelForCausalLM.from_pretrained(store.get("unlearn", "tiny", current["unlearn"]).path / "model")
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), stored.state_dict().values()))
    assert AutoTokenizer.from_pretrained(out / "model")("Harry")["input_ids"]
    mcard = ModelCard.load(out / "model" / "README.md")
    prov = mcard.data.to_dict()["obliviate"]
    chain = {row["stage"]: row for row in prov["lineage"]}
    assert prov["version"] == current["unlearn"] and prov["method"] == "whp"
    assert chain["unlearn"]["parents"]["labels"] == current["labels"]
    assert chain["labels"]["parents"]["blocks"] == current["blocks"]
    assert chain["blocks"]["parents"] == {"documents": current["ingest"], "translation": current["translate"]}
    assert chain["translate"]["parents"]["dictionary"] == current["anchors"]  # down to the dictionary
    assert prov["evaluate_version"] == current["evaluate"]
    stored_metrics = store.read("metrics", store.get("evaluate", "tiny", current["evaluate"])).to_pylist()
    assert len(prov["metrics"]) == len(stored_metrics)
    ppl = {(m["model_role"], m["metric"]): m["value"] for m in prov["metrics"]}
    assert ppl[("unlearned", "general_perplexity")] == next(
        m["value"] for m in stored_metrics if m["model_role"] == "unlearned" and m["metric"] == "general_perplexity")
    lines = {line.split(" | ")[0]: line for line in mcard.text.splitlines() if line.startswith("| ")}
    assert lines["| metric"].startswith("| metric | base |") and lines["| metric"].endswith("| unlearned (whp) |")
    unlearned_version = next(m["model_version"] for m in stored_metrics if m["model_role"] == "unlearned")
    assert lines["| version"].endswith(f"| {unlearned_version} |")  # the results table: a column per model
    base_ppl = ppl[("base", "general_perplexity")]  # a random tiny model: thousands, shown with one decimal
    assert lines["| general perplexity"].startswith(f"| general perplexity | {base_ppl:.1f} |" if base_ppl >= 100
                                                    else f"| general perplexity | {base_ppl:.3f} |")
    assert "## Lineage" in mcard.text


def test_export_only_some_parts_and_outside_workspace(tiny_run, tmp_path, capsys):
    ws, target = tiny_run
    assert main(["-w", str(ws), "export", str(target), "--out", str(tmp_path / "o"), "--what", "dictionary"]) == 0
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["dictionary"]
    assert main(["-w", str(ws), "export", str(target), "--out", str(ws / "x")]) == 2
    assert main(["-w", str(ws), "export", str(target), "--out", str(tmp_path / "p"), "--what", "weights"]) == 2
    err = capsys.readouterr().err
    assert "inside the workspace" in err and "--what weights: choose from" in err


def test_push_to_hub_with_the_client_mocked(tiny_run, tmp_path, monkeypatch):
    import huggingface_hub

    calls = []

    class FakeApi:
        def __init__(self, token=None):
            calls.append(("token", token))

        def create_repo(self, repo_id, repo_type, private, exist_ok):
            calls.append(("create", repo_id, repo_type, private))

        def upload_folder(self, folder_path, repo_id, repo_type, ignore_patterns, commit_message):
            assert (Path(folder_path) / "README.md").is_file()
            calls.append(("upload", Path(folder_path).name, repo_id, repo_type, tuple(ignore_patterns)))

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "get_token", lambda: None)
    ws, target = tiny_run
    args = ["-w", str(ws), "export", str(target), "--out", str(tmp_path / "o"), "--what", "dictionary,model",
            "--push-to-hub", "me/tiny"]
    assert main(args) == 2 and calls == []  # no token: one error line, nothing uploaded
    monkeypatch.setenv("HF_TOKEN", "hf_test")
    assert main(args) == 0
    assert calls == [("token", "hf_test"),
                     ("create", "me/tiny-dictionary", "dataset", True),
                     ("upload", "dictionary", "me/tiny-dictionary", "dataset", ("saved/**",)),
                     ("create", "me/tiny", "model", True),
                     ("upload", "model", "me/tiny", "model", ("saved/**",))]


def test_ensemble_exports_its_two_members(tiny_run, tmp_path):
    """The ensemble has no weights of its own: its members are exported, each loadable, alpha in the card."""
    from huggingface_hub import ModelCard
    from transformers import AutoModelForCausalLM

    from pipelines.export_model import write_model
    from training.ensemble import load_ensemble

    ws, target = tiny_run
    assert main(["-w", str(ws), "unlearn", str(target), "--set", "unlearn.method=ensemble",
                 "--set", "unlearn.alpha=2.0"]) == 0  # a trial: the current unlearn stays the WHP one
    store = Store(ws)
    art = next(a for a in store.artifacts("unlearn", "tiny") if a.settings.get("method") == "ensemble")
    assert store.current("tiny")["unlearn"] != art.version  # so `export` alone would export the WHP model
    told = write_model(tmp_path / "model", store, art, None, None)
    assert "inference-time combination" in told[0]
    for member in ("subject", "reinforced"):
        AutoModelForCausalLM.from_pretrained(tmp_path / "model" / member)
    assert load_ensemble(tmp_path / "model").alpha == 2.0
    prov = ModelCard.load(tmp_path / "model" / "README.md").data.to_dict()["obliviate"]
    assert prov["method"] == "ensemble" and prov["version"] == art.version
    assert prov["lineage"][-1]["parents"]["reinforced"] == art.parents["reinforced"]


def test_corpus_split_follows_the_blocks_split():
    from pipelines.export_hf import group_by_split

    rows = [{"doc_id": d} for d in ("a", "b", "c", "short")]
    assert group_by_split(rows, {}) == {"train": rows}
    split = group_by_split(rows, {"a": "forget", "b": "holdout", "c": "forget"})
    assert {k: [r["doc_id"] for r in v] for k, v in split.items()} == {
        "dropped": ["short"], "forget": ["a", "c"], "holdout": ["b"]}


def test_eval_items_split_into_forget_and_holdout(tiny_run, tmp_path):
    """The evalsets part: eval_items rows by their split column, loadable both ways, the card naming its maker."""
    import datasets

    from corpus_tools.tables import to_arrow
    from pipelines.cards import lineage
    from pipelines.export_hf import _by_split, write_dataset

    ws, _ = tiny_run
    store = Store(ws)
    holder = store.get("translate", "tiny", store.current("tiny")["translate"])
    items = to_arrow("eval_items", [
        {"target": "tiny", "eval_items_version": "v1", "kind": kind, "item_id": f"{kind}-{i}", "split": split,
         "doc_id": "harry", "start_char": 0, "end_char": 5, "prompt": "Harry", "answer": " Potter", "alternative": None,
         "term": "Harry", "text": None, "n_prompt_tokens": 1, "n_answer_tokens": 1}
        for i, (kind, split) in enumerate([("cloze", "forget"), ("verbatim", "holdout"), ("cloze", "forget")])])
    write_dataset(tmp_path / "evalsets", _by_split(items), title="t", summary="s", target="tiny",
                  made_from=holder, store=store)
    saved = datasets.load_from_disk(str(tmp_path / "evalsets" / "saved"))
    assert {s: saved[s]["item_id"] for s in saved} == {"forget": ["cloze-0", "cloze-2"], "holdout": ["verbatim-1"]}
    assert "target" not in saved["forget"].column_names
    hub = datasets.load_dataset(str(tmp_path / "evalsets"))
    assert sorted(hub) == ["forget", "holdout"] and hub["holdout"]["answer"] == [" Potter"]
    from huggingface_hub import DatasetCard

    card = DatasetCard.load(tmp_path / "evalsets" / "README.md").data.to_dict()["obliviate"]
    assert card["lineage"] == lineage(store, holder)
