"""The learned type classifier measured against the v9 rules and dropped (docs/anchors.md, "v9"): a
multinomial logistic regression over the evidence the rules read (type votes, NER shares, context ratios,
head words), trained on the development corpora's gold types and scored leave one corpus out, and trained on
them and scored on the bundled corpus.

    python -m benchmarks.type_classifier tidewright,emberfall,saltroad,farreach,quillhall,brackenfold,gildport,vellmarch,ashcombe --also hp
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from pathlib import Path

import torch

import anchors.build_v3 as B
from anchors import context as C
from anchors.gender import is_known_name
from anchors.gold import COMPATIBLE, load_gold
from benchmarks import gold_check as G
from corpus_tools.store import Store

WORKSPACE = Path("/tmp/obliviate_gold")

NER = ["PERSON", "GPE", "LOC", "FAC", "ORG", "NORP", "PRODUCT", "WORK_OF_ART", "EVENT", "NOUN"]
TYPES = ["person", "place", "organisation", "object", "event", "title"]


def features(term, ctx, ner, counts, kin, level):
    votes = C.type_votes(term, ctx, ner, counts, is_known_name, lambda w: False, kin, level)
    n = max(1, sum(ner.values()))
    s = ctx.seen if ctx and ctx.seen else 0
    r = lambda v: (v / s) if s else 0.0  # noqa: E731
    parts = term.split()
    head = parts[0] if len(parts) > 2 and parts[1] == "of" else parts[-1]
    groups = C.head_groups(level)
    f = {f"vote_{t}": votes[t] for t in TYPES}
    f |= {f"ner_{l}": ner[l] / n for l in NER}
    f |= {"the": r(ctx.the) if ctx else 0, "a": r(ctx.a) if ctx else 0, "place_prep": r(ctx.place_prep) if ctx else 0,
          "spatial": r(ctx.spatial) if ctx else 0, "temporal": r(ctx.temporal) if ctx else 0,
          "titled": r(ctx.titled) if ctx else 0, "speech": r(ctx.speech) if ctx else 0,
          "pron": min(1.0, r(ctx.pronouns.total())) if ctx else 0, "any_pron": min(1.0, r(ctx.any_pronouns.total())) if ctx else 0,
          "gendered": min(1.0, r(sum(ctx.gendered.values()))) if ctx else 0,
          "mid": r(ctx.mid_sentence) if ctx else 0, "log_seen": math.log1p(s),
          "n_words": min(len(parts), 4), "lower": float(not term[:1].isupper()),
          "known_first": float(is_known_name(parts[0])), "kin": min(kin, 2),
          "plural_s": float(len(parts) == 1 and term.endswith("s")),
          "prefix_place": float(len(parts) > 1 and parts[0] in C.PLACE_PREFIXES)}
    for group, typ in groups:
        f[f"head_{typ}"] = float(len(parts) > 1 and head in group)
    return f


def run(corpus: str) -> dict:
    """term -> {"f": features, "rule": the v9 rules' type} for every candidate the v9 build types, captured
    while benchmarks.gold_check.evaluate builds the corpus's dictionary."""
    rec = {}
    orig = B._type

    def spy(term, cand, contexts, counts, titles, kin=0, level=3):
        out = orig(term, cand, contexts, counts, titles, kin, level)
        ner = Counter({k: v for k, v in cand.labels.items() if k != "PROPN"})
        rec[term] = {"f": features(term, contexts.get(term), ner, counts, kin, level), "rule": out}
        return out
    B._type = spy
    try:
        G.evaluate(Store(WORKSPACE), corpus, {"decision": "decide_v9", "names": "names_v9"})
    finally:
        B._type = orig
    return rec


CLASSES = ["person", "place", "organisation", "object", "event"]
TARGET = {"person": "person", "family": "person", "place": "place", "organisation": "organisation",
          "object": "object", "creature": "object", "event": "event"}


def load(corpus):
    rec = run(corpus)
    rows = []
    for g in load_gold(G.GOLD[corpus]):
        if not g.must_anchor or g.type in ("other", "title"):
            continue
        form = next((f for f in g.forms if f in rec), None)
        if form is None and " " in g.term and g.term.split()[0] in rec:
            form = g.term.split()[0]
        if form is None:
            continue
        r = rec[form]
        rows.append((corpus, g.term, g.type, r["f"], r["rule"]))
    return rows


def xy(rows):
    names = sorted(rows[0][3])  # every candidate has the same features
    X = torch.tensor([[r[3][n] for n in names] for r in rows], dtype=torch.float32)
    y = torch.tensor([CLASSES.index(TARGET[r[2]]) for r in rows])
    return X, y


def fit(X, y, l2=1e-2, epochs=400):
    mu, sd = X.mean(0), X.std(0) + 1e-6
    W = torch.zeros(X.shape[1], len(CLASSES), requires_grad=True)
    b = torch.zeros(len(CLASSES), requires_grad=True)
    opt = torch.optim.LBFGS([W, b], max_iter=epochs)
    Xn = (X - mu) / sd
    # class weights: balance
    cw = torch.bincount(y, minlength=len(CLASSES)).float().clamp(min=1)
    cw = (cw.sum() / cw) / len(CLASSES)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(Xn @ W + b, y, weight=cw) + l2 * (W ** 2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    return lambda Xt: ((Xt - mu) / sd @ W + b).argmax(1)


def correct(rows, classes) -> float:
    """Share of rows whose predicted type the scorer accepts for the gold type (anchors/gold.COMPATIBLE)."""
    return sum(cls in COMPATIBLE[r[2]] for r, cls in zip(rows, classes)) / len(rows)


def compare(model, rows) -> str:
    predicted = [CLASSES[p] for p in model(xy(rows)[0]).tolist()]
    return f"n={len(rows)} rules={correct(rows, [r[4] for r in rows]):.3f} classifier={correct(rows, predicted):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpora")
    ap.add_argument("--also", default="", help="corpora to score after training on all of `corpora`")
    ap.add_argument("--l2", type=float, default=0.1)
    args = ap.parse_args()
    corpora = args.corpora.split(",")
    data = {c: load(c) for c in corpora}
    everything, pooled = [], []  # every held-out row and its prediction, over all folds
    for held in corpora:
        model = fit(*xy([r for c in corpora if c != held for r in data[c]]), l2=args.l2)
        print(f"{held:12s} {compare(model, data[held])}")
        everything += data[held]
        pooled += [CLASSES[p] for p in model(xy(data[held])[0]).tolist()]
    print(f"leave one corpus out, all: n={len(everything)} rules={correct(everything, [r[4] for r in everything]):.3f} "
          f"classifier={correct(everything, pooled):.3f}")
    if args.also:
        model = fit(*xy([r for c in corpora for r in data[c]]), l2=args.l2)
        for other in args.also.split(","):
            print(f"trained on all, {other}: {compare(model, load(other))}")

if __name__ == "__main__":
    main()
