"""The report on a hand-made workspace: its numbers equal the metrics table, every section renders."""

from __future__ import annotations

import json
import re

import pytest

from pipelines.report import FMT, build_report

TEXT = "Harry met Ron at Hogwarts. Ron smiled."
TRANSLATED = "Jon met Tom at Mystic Academy. Tom smiled."
SUBS = [(0, 5, "Harry", "Jon", 0, 3), (10, 13, "Ron", "Tom", 8, 11), (17, 25, "Hogwarts", "Mystic Academy", 15, 29),
        (27, 30, "Ron", "Tom", 31, 34)]


def _art(store, kind, version, parents, settings, tables):
    with store.create(kind, "hp", version, parents=parents, settings=settings, code_version=f"{kind}_test") as st:
        for name, rows in tables.items():
            st.write(name, rows)
    return store.require(kind, "hp", version)


@pytest.fixture(scope="module")
def workspace(tiny_model_dir, smollm2_tokenizer, tmp_path_factory):
    """base (tiny model), translate, blocks, labels at alpha 2.5 and 5, two unlearned models, one evaluate."""
    from corpus_tools.store import Store
    from training.base import base_model

    store = Store(tmp_path_factory.mktemp("report_ws"))

    tok = smollm2_tokenizer
    base, _ = base_model(store, "hp", str(tiny_model_dir))
    cand = {"target": "hp", "anchors_version": "an1", "zipf": 1.0, "specificity": 5.0, "cluster": None, "source": "generated"}
    _art(store, "anchors", "an1", {}, {}, {"anchor_candidates": [
        cand | {"term": "Harry", "label": "PERSON", "n_mentions": 9, "decision": "accepted", "reason": "specific name", "replacement": "Jon"},
        cand | {"term": "Hogwarts", "label": "GPE", "n_mentions": 4, "decision": "accepted",
                "reason": "specific name; typed place from context (NER said PERSON)", "replacement": "Mystic Academy"},
        cand | {"term": "Guild", "label": "ORG", "n_mentions": 7, "decision": "rejected", "zipf": 3.9,
                "reason": "short form of 'Tidewright Guild': an English word (Zipf 3.93), stays", "replacement": None}]})
    _art(store, "translate", "tr1", {"dictionary": "an1"}, {}, {
        "translated_documents": [{"target": "hp", "translation_version": "tr1", "doc_id": "d1", "text": TRANSLATED}],
        "substitutions": [{"target": "hp", "translation_version": "tr1", "doc_id": "d1", "start_char": s, "end_char": e,
                           "term": t, "replacement": r, "t_start_char": ts, "t_end_char": te, "original": t,
                           "translated": r} for s, e, t, r, ts, te in SUBS]})
    ids = tok(TEXT)["input_ids"]
    blocks = _art(store, "blocks", "bl1", {"translation": "tr1"}, {}, {"blocks": [{
        "target": "hp", "blocks_version": "bl1", "block_id": 0, "doc_id": "d1", "start_char": 0, "end_char": len(TEXT),
        "t_start_char": 0, "t_end_char": len(TRANSLATED), "input_ids": ids, "translated_ids": tok(TRANSLATED)["input_ids"],
        "position_map": list(range(len(ids))), "forbidden_tokens": [], "forbidden_from": [], "n_trained": len(ids) - 1,
        "text": TEXT, "translated_text": TRANSLATED}]})
    ron, tom = tok(" Ron")["input_ids"][0], tok(" Tom")["input_ids"][0]
    unlearned = []
    for alpha, lv, uv in ((2.5, "lab25", "un25"), (5.0, "lab50", "un50")):
        labels = [{"target": "hp", "labels_version": lv, "block_id": 0, "position": p, "original_token": ids[p + 1],
                   "label_token": tom if ids[p + 1] == ron else ids[p + 1], "alpha": alpha}
                  for p in range(len(ids) - 1)]
        _art(store, "labels", lv, {"blocks": blocks.version}, {"alpha": alpha}, {"generic_labels": labels})
        unlearned.append(_art(store, "unlearn", uv, {"blocks": blocks.version, "labels": lv, "subject": base.version}, {"lr": 3e-5}, {"models": [{
            "target": "hp", "role": "unlearned", "version": uv, "path": f"artifacts/unlearn/hp/{uv}/model",
            "parent_version": base.version, "method": "whp", "base_model": "tiny", "settings": "{}"}]}))
    values = {base.version: ("base", None, 0.31, 9.5), "un25": ("unlearned", "whp", 0.12, 10.25),
              "un50": ("unlearned", "whp", 0.0625, 10.75)}
    rows = []
    for version, (role, method, fam, ppl) in values.items():
        for metric, value, n in (("familiarity_completion_test", fam, 150), ("familiarity_completion_dev", fam / 2, 50),
                                 ("general_perplexity", ppl, 9000), ("knowledge_accuracy", 0.7 - fam, 200)):
            interval = (value - 0.05, value + 0.05) if metric == "knowledge_accuracy" else (None, None)
            rows.append({"target": "hp", "model_role": role, "model_version": version, "metric": metric,
                         "value": value, "n": n, "evaluate_version": "ev1", "method": method,
                         "ci_low": interval[0], "ci_high": interval[1]})
    _art(store, "evaluate", "ev1", {"base": base.version, "unlearned": "un50", "unlearned_alpha_2.5": "un25"}, {}, {"metrics": rows})
    # A reference method measured the same way (a `--set unlearn.method=ga` trial), and a model measured otherwise.
    for ev, settings, model in (("ev2", {}, "unga"), ("ev3", {"heldout_share": 0.5}, "unx")):
        same = [r | {"evaluate_version": ev} for r in rows if r["model_version"] == base.version]
        other = [r | {"evaluate_version": ev, "model_version": model, "method": model[2:], "value": r["value"] + 0.001}
                 for r in rows if r["model_version"] == "un50"]
        _art(store, "evaluate", ev, {"base": base.version, "unlearned": model}, settings, {"metrics": same + other})
    store.set_current("hp", {"evaluate": "ev1"}, "hp.toml")  # the report describes ev1, not the newest
    return store


def _md_table(md: str, heading: str) -> list[list[str]]:
    section = md.split(f"## {heading}")[1].split("\n## ")[0] if heading else md
    lines = [l for l in section.splitlines() if l.startswith("|")]
    return [[c.strip() for c in l.strip("|").split("|")] for l in lines]


@pytest.fixture(scope="module")
def report(workspace):
    return build_report(workspace, "hp")


def test_report_numbers_equal_the_metrics_table(workspace, report):
    out = report
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    section = md.split("## Familiarity and retention per model")[1].split("\n## ")[0]
    models, values = section.split("\n\n| metric")
    label_of = {r[3]: r[0] for r in _md_table(models, "")[2:]}  # version -> column label
    table = _md_table("| metric" + values, "")
    header, body = table[0], {r[0]: r for r in table[2:]}
    sql = workspace.query("select model_version, metric, value, ci_low, ci_high from metrics where target = 'hp' "
                          "and evaluate_version <> 'ev3' and not (evaluate_version = 'ev2' and model_role = 'base')")
    assert len(sql) == 16 and len(label_of) == 4 and "unlearned (ga)" in label_of.values()
    assert "unx" not in label_of  # measured with other settings: not comparable
    for version, metric, value, low, high in sql:
        shown = FMT.format(value) + (f" [{FMT.format(low)}, {FMT.format(high)}]" if low is not None else "")
        assert body[metric][header.index(label_of[version])] == shown
    assert sum(low is not None for *_, low, _ in sql) == 4  # knowledge_accuracy: its interval shown beside it
    sql = [row[:3] for row in sql]
    embedded = json.loads(re.search(r'id="metrics-data">(.*?)</script>', html, re.S).group(1))
    assert sorted((r["model_version"], r["metric"], r["value"]) for r in embedded) == sorted(sql)
    anchors = md.split("## Anchor dictionary")[1].split("\n## ")[0]
    assert "an1: 2 accepted of 3 candidates" in anchors
    assert _md_table(anchors, "")[2] == ["Harry", "PERSON", "Jon", "9"]
    assert any(r[0] == "Guild" and r[2].startswith("short form") for r in _md_table(anchors, ""))
    assert any(r[0] == "Hogwarts" and "NER said PERSON" in r[1] for r in _md_table(anchors, ""))
    assert len(re.findall(r'src="data:image/png;base64,[A-Za-z0-9+/=]{100,}"', html)) == 4  # + tradeoff
    assert {p.name for p in out.glob("*.png")} == {"models.png", "tradeoff.png", "alpha.png", "label_changes.png"}


def test_tradeoff_plot_needs_two_models_with_both_measures():
    from pipelines import report_plots as plots

    one = {"subject": {"familiarity_completion_test": 0.4, "general_perplexity": 9.5, "knowledge_accuracy": 0.6}}
    assert plots.tradeoff_plot(one) is None
    two = one | {"unlearned (whp)": {"familiarity_completion_test": 0.09, "general_perplexity": 9.1}}
    png = plots.tradeoff_plot(two)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"  # only the perplexity panel: knowledge has one point


def test_report_sections_show_labels_alpha_viewer_and_lineage(report, smollm2_tokenizer):
    out = report
    md, html = (out / "report.md").read_text(), (out / "report.html").read_text()
    n_ron = smollm2_tokenizer(TEXT)["input_ids"][1:].count(smollm2_tokenizer(" Ron")["input_ids"][0])
    assert n_ron == 2
    changes = _md_table(md, "Generic labels: what changed")
    assert changes[2] == ["' Ron' -> ' Tom'", "2"]
    assert "2 of " in md  # 2 changed positions
    alpha = _md_table(md, "Familiarity against alpha")
    assert ["familiarity_completion_test", "2.5", FMT.format(0.12)] in alpha
    assert ["familiarity_completion_test", "5.0", FMT.format(0.0625)] in alpha
    assert '<mark class="sub" title="was: Hogwarts">Mystic Academy</mark>' in html
    assert "".join(re.findall(r'<span class="sub[^"]*" title="becomes: Jon[^"]*">([^<]*)</span>', html)) == "Harry"
    assert len(re.findall(r'class="[^"]*changed', html)) == 2 and "label: &#x27; Tom&#x27;" in html
    lineage = _md_table(md, "Models, settings and lineage")
    assert any(r[:2] == ["unlearned", "un50"] for r in lineage)
    assert "unlearned (whp) un25" in md  # two models share a role and method: the version tells them apart


def test_report_with_only_a_base_model_says_what_is_missing(store, tiny_model_dir):
    from training.base import base_model

    base_model(store, "hp", str(tiny_model_dir))
    md = (build_report(store, "hp") / "report.md").read_text()
    assert "No evaluate artifact yet" in md
    assert "No generic labels behind the evaluated unlearned model" in md
    assert "No blocks behind the evaluated unlearned model yet" in md


def test_report_of_unknown_target_is_a_clear_error(store):
    from corpus_tools.errors import ObliviateError

    with pytest.raises(ObliviateError, match="'nope' has no artifacts"):
        build_report(store, "nope")
