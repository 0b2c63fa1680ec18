"""A target made with `init` from a folder of text gets every forgetting metric of docs/evaluation.md with no
prompt file, and no training stage ever sees a holdout block (tiny corpus, tiny model, end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus_tools.store import Store
from pipelines.cli import main

pytestmark = pytest.mark.e2e

# written for this test: a few hundred words about invented people and places, names repeated so they anchor
CHAPTERS = {
    "ch1.txt": "Orla Venn kept the lighthouse at Salt Hollow for eleven winters. Every evening Orla Venn climbed the "
               "stairs, trimmed the wick and wrote the weather in a green ledger. Her brother Tomas Venn sold nets in "
               "Dunmere and rowed across on Sundays with bread and news from the harbour.",
    "ch2.txt": "In the spring the Tide Guild sent a letter to Salt Hollow. The Tide Guild wanted the old lamp replaced "
               "with a brighter one from Greyhaven. Orla Venn read the letter twice and put it under the ledger, "
               "because Tomas Venn had warned her that the Tide Guild never paid on time.",
    "ch3.txt": "Tomas Venn met the clerk of the Tide Guild in Dunmere. The clerk, Edric Marsh, promised forty silver "
               "coins for the new lamp. Edric Marsh wrote the promise on a scrap of sailcloth, and Tomas Venn carried "
               "it home folded inside his coat, past the market and the chapel of Dunmere.",
    "ch4.txt": "The storm came in October. Waves broke over the rocks below Salt Hollow and the old lamp cracked. Orla "
               "Venn lit candles in every window while Tomas Venn rowed from Dunmere through the dark, and in the "
               "morning the fishermen of Greyhaven said they had followed the candles home.",
    "ch5.txt": "Edric Marsh came to Salt Hollow with the forty coins at last. He climbed the stairs with Orla Venn, "
               "looked at the cracked glass and said the Tide Guild would send a glazier from Greyhaven. Orla Venn "
               "wrote his name in the green ledger, under the date of the storm.",
    "ch6.txt": "Years later the children of Dunmere still told the story of the candles. They said that Orla Venn had "
               "saved nine boats, that Tomas Venn had rowed through waves as high as the chapel, and that Edric Marsh "
               "of the Tide Guild had cried when he saw the cracked lamp of Salt Hollow.",
}


def test_init_target_gets_every_forgetting_metric_without_prompts(tmp_path, tiny_model_dir, monkeypatch):
    book = tmp_path / "book"
    book.mkdir()
    for name, text in CHAPTERS.items():
        (book / name).write_text(text + "\n")
    ws, target = tmp_path / "ws", tmp_path / "targets" / "venn.toml"
    monkeypatch.chdir(tmp_path)  # the command line in-process, run from the user's folder
    assert main(["-w", str(ws), "init", "venn", "--from", str(book), "--model", str(tiny_model_dir), "--out",
                 str(target)]) == 0
    # keep the tiny run quick: a one-document general set for the retention metrics; the forgetting settings
    # ([evalsets], [evaluate] forgetting / relearn) stay the defaults a user gets
    general = tmp_path / "general"
    (general / "corpus").mkdir(parents=True)
    (general / "corpus" / "water.md").write_text("Water boils at one hundred degrees Celsius at sea level. " * 8)
    (general / "knowledge_prompts.jsonl").write_text('{"prompt": "Water boils at one hundred", "answer": "degrees"}\n')
    text = target.read_text().replace("[labels]", "[labels]\nbatch_size = 4").replace(
        "[unlearn]", "[unlearn]\nepochs = 1").replace("[evaluate]", f'[evaluate]\ngeneral_dir = "{general}"')
    target.write_text(text)
    assert not (target.parent / "familiarity_prompts.jsonl").exists()
    assert main(["-w", str(ws), "run", str(target)]) == 0

    store = Store(ws)
    splits = dict(store.query("select split, count(*) from blocks_current where target = 'venn' group by split"))
    assert splits.get("forget", 0) > 0 and splits.get("holdout", 0) > 0, splits
    # labels (and so unlearn) saw forget blocks only, and every forget block got labels
    labelled = {b for (b,) in store.query("select distinct block_id from generic_labels_current where target = 'venn'")}
    forget = {b for (b,) in store.query("select block_id from blocks_current where target = 'venn' and split = 'forget'")}
    assert labelled and labelled <= forget
    items = dict(store.query("select split, count(*) from eval_items_current where target = 'venn' group by split"))
    assert items.get("forget", 0) > 0 and items.get("holdout", 0) > 0, items
    kinds = {k for (k,) in store.query("select distinct kind from eval_items_current where target = 'venn'")}
    assert kinds == {"verbatim", "cloze", "membership"}

    rows = store.query("select model_role, metric, value, ci_low, ci_high, below_chance from metrics_current "
                       "where target = 'venn'")
    by_role: dict[str, dict] = {}
    for role, metric, value, low, high, below in rows:
        by_role.setdefault(role, {})[metric] = (value, low, high, below)
    assert set(by_role) == {"base", "reinforced", "unlearned"}  # implant disabled: the subject is the base
    every = ["verbatim_rouge_l_forget", "verbatim_rouge_l_holdout", "knowledge_choice_acc_forget",
             "knowledge_choice_prob_forget", "knowledge_exact_forget", "membership_auc_loss", "membership_auc_mink_pp",
             "general_perplexity"]
    for role, metrics in by_role.items():
        assert not [m for m in every if m not in metrics], (role, sorted(metrics))
        value, low, high, below = metrics["knowledge_choice_acc_forget"]
        assert 0 <= low <= value <= high <= 1 and below == (high < 0.5)
        value, low, high, _ = metrics["membership_auc_mink_pp"]
        assert 0 <= value <= 1 and low <= value <= high
        assert not any(m.startswith("familiarity_") for m in metrics)  # no prompt file: none invented
    unlearned = by_role["unlearned"]
    for m in ("membership_auc_gap_mink_pp", "membership_auc_gap_loss", "relearn_verbatim_rouge_l_forget",
              "relearn_recovery_verbatim_rouge_l_forget", "relearn_recovery_knowledge_choice_acc_forget"):
        assert m in unlearned, (m, sorted(unlearned))
    assert "membership_auc_gap_mink_pp" not in by_role["base"] and "relearn_verbatim_rouge_l_forget" not in by_role["base"]
    steps = [s for (s,) in store.query("select distinct step from relearn_curve where target = 'venn' order by 1")]
    assert steps == [0, 10]  # before (the unlearned model's own scores) and after the last step
    n_items = store.query("select count(distinct item_id) from eval_scores where target = 'venn' and model_role = 'base'")[0][0]
    assert n_items == store.query("select count(*) from eval_items_current where target = 'venn'")[0][0]

    from pipelines.report import build_report

    folder = build_report(store, "venn")
    md = (folder / "report.md").read_text()
    assert "## Forgetting: verbatim, knowledge, membership, relearning" in md
    assert "- unlearned: ROUGE-L forget" in md and "(ref " in md  # a line per model against the base model
    assert "The subject is the base model itself" in md
    assert "true continuation" in md and (folder / "membership.png").exists() and (folder / "relearn.png").exists()
