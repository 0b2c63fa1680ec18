"""The `report` of a target: report.md and a self-contained report.html under <workspace>/reports/<target>/.

Every number comes from the stored tables (the metrics of one evaluate artifact, generic_labels,
blocks, substitutions, artifacts); a section whose tables do not exist yet says so.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from string import Template

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Artifact, Store
from pipelines import report_forgetting as RF
from pipelines import report_plots as plots
from pipelines.report_viewer import label_changes, sample_blocks

TEMPLATE = Path(__file__).with_name("report_template.html")
FMT = "{:.4f}"


@dataclass
class Section:
    title: str
    md: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)

    def text(self, line: str) -> None:
        self.md.append(line)
        self.html.append(f"<p>{escape(line)}</p>")

    def note(self, line: str) -> None:
        self.md.append(f"_{line}_")
        self.html.append(f'<p class="note">{escape(line)}</p>')

    def table(self, header: list[str], rows: list[list], numeric: set[int] = frozenset()) -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows]
        self.md.append("\n".join(lines))
        cells = lambda r: "".join(f'<td class="num">{escape(str(c))}</td>' if i in numeric
                                  else f"<td>{escape(str(c))}</td>" for i, c in enumerate(r))
        self.html.append("<table><tr>" + "".join(f"<th>{escape(h)}</th>" for h in header) + "</tr>"
                         + "".join(f"<tr>{cells(r)}</tr>" for r in rows) + "</table>")

    def image(self, png: bytes | None, name: str, out_dir: Path, alt: str) -> None:
        if png is None:
            self.note(f"No data to plot for: {alt}.")
            return
        (out_dir / name).write_bytes(png)
        self.md.append(f"![{alt}]({name})")
        self.html.append(f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">')


def lineage(store: Store, target: str, evaluate: Artifact | None) -> dict[str, Artifact]:
    """The artifacts the report describes, each found through the named parents of the evaluated unlearned model:
    its labels, their blocks, the blocks' translation, and the base model."""
    found: dict[str, Artifact] = {}
    if evaluate is None:
        return found
    by_version = {a.version: a for a in store.artifacts(target=target)}

    def follow(art: Artifact | None, role: str) -> Artifact | None:
        return by_version.get(art.parents.get(role)) if art is not None else None

    found["evaluate"] = evaluate
    for role in ("base", "unlearned"):
        if (art := follow(evaluate, role)) is not None:
            found[role] = art
    labels = follow(found.get("unlearned"), "labels")
    blocks = follow(labels, "blocks") or follow(found.get("unlearned"), "blocks")
    translation = follow(blocks, "translation")
    dictionary = follow(translation, "dictionary") or follow(evaluate, "dictionary")
    found |= {k: v for k, v in (("labels", labels), ("blocks", blocks), ("translation", translation),
                                ("dictionary", dictionary)) if v is not None}
    return found


def comparable(store: Store, target: str, ev: Artifact) -> list[Artifact]:
    """The evaluate artifacts measured exactly as `ev` (same settings, prompts and eval items) on other
    unlearned models: the reference methods of `--set unlearn.method=...` trials. Their models join the report."""
    same = [a for a in store.artifacts("evaluate", target)
            if a.version != ev.version and a.settings == ev.settings and "metrics" in a.tables]
    return sorted(same, key=lambda a: a.created_at)


def build_report(store: Store, target: str, *, evaluate_version: str | None = None,
                 out_dir: Path | None = None) -> Path:
    """Write report.md, report.html and the plots; returns the report folder.

    The evaluate artifact is the one named, else the target's current one (what its target file resolves
    to), else the newest; every other input is found by lineage from the model it describes."""
    if not store.artifacts(target=target):
        raise ObliviateError(f"target {target!r} has no artifacts in {store.root}; nothing to report")
    out_dir = Path(out_dir) if out_dir else store.root / "reports" / target
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen = evaluate_version or store.current(target).get("evaluate")
    ev = store.require("evaluate", target, chosen) if chosen else store.latest("evaluate", target)
    rows = store.read("metrics", ev).to_pylist() if ev else []
    others = comparable(store, target, ev) if ev else []
    known = {r["model_version"] for r in rows}
    for art in others:  # only the models `ev` lacks: the base and subject rows are the same measurements
        extra = [r for r in store.read("metrics", art).to_pylist() if r["model_version"] not in known]
        known |= {r["model_version"] for r in extra}
        rows += extra
    arts = lineage(store, target, ev)
    decode = _decoder(arts.get("base"))
    sections = [_metrics_section(store, target, ev, rows, out_dir), _forgetting_section(store, [ev, *others], rows, out_dir),
                _anchors_section(store, arts.get("dictionary")),
                _alpha_section(store, target, rows, out_dir),
                _labels_section(store, arts.get("labels"), decode, out_dir),
                _viewer_section(store, arts.get("blocks"), arts.get("translation"), arts.get("labels"), decode),
                _samples_section(ev), _lineage_section(store, target)]
    title = f"obliviate report: {target}"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [f"# {title}", "", f"Generated {generated} from workspace `{store.root}`.", ""]
    body = []
    for s in sections:
        md += [f"## {s.title}", "", *[line for part in s.md for line in (part, "")]]
        body.append(f"<h2>{escape(s.title)}</h2>" + "\n".join(s.html))
    data = json.dumps(rows, default=str).replace("</", "<\\/")
    body.append(f'<script type="application/json" id="metrics-data">{data}</script>')
    (out_dir / "report.md").write_text("\n".join(md))
    html = Template(TEMPLATE.read_text()).substitute(title=escape(title), generated=generated,
                                                      workspace=escape(str(store.root)), body="\n".join(body))
    (out_dir / "report.html").write_text(html)
    return out_dir


def model_labels(rows: list[dict]) -> dict[str, str]:
    """A short, unique label per evaluated model version: role, plus method or version when needed."""
    seen = {}
    for r in rows:
        seen.setdefault(r["model_version"], (r["model_role"], r.get("method")))
    labels = {}
    for version, (role, method) in seen.items():
        same_role = [v for v, (ro, _) in seen.items() if ro == role]
        label = role if len(same_role) == 1 else f"{role} ({method})" if method else role
        if sum(1 for v, (ro, me) in seen.items() if ro == role and me == method) > 1:
            label = f"{label} {version[:6]}"
        labels[version] = label
    return labels


def _metrics_section(store, target, ev: Artifact | None, rows, out_dir) -> Section:
    s = Section("Familiarity and retention per model")
    if ev is None:
        s.note("No evaluate artifact yet: run `obliviate evaluate TARGET_FILE`.")
        return s
    labels = model_labels(rows)
    metrics = sorted({r["metric"] for r in rows}, key=lambda m: (m.startswith("lm_eval"), m))
    table = {m: {} for m in metrics}
    cells = {m: {} for m in metrics}  # the value as shown: with its 95% interval where one is stored
    for r in rows:
        table[r["metric"]][labels[r["model_version"]]] = r["value"]
        cells[r["metric"]][labels[r["model_version"]]] = RF.format_value(r, FMT)
    s.text(f"Evaluate artifact {ev.version}: {len(labels)} model(s), {len(rows)} metric rows "
           "(the `metrics` table; fractions in [0, 1], perplexities as exp(mean token NLL)).")
    s.table(["model", "role", "method", "version"],
            [[label, *next([r["model_role"], r.get("method") or "", v] for r in rows if r["model_version"] == v)]
             for v, label in labels.items()])
    n_of = {}
    for r in rows:
        n_of.setdefault(r["metric"], set()).add(r["n"])
    s.table(["metric", "n", *labels.values()],
            [[m, "/".join(str(n) for n in sorted(n_of[m])),
              *[cells[m].get(l, "") for l in labels.values()]] for m in metrics],
            numeric=set(range(1, len(labels) + 2)))
    s.note("n: prompts (familiarity, knowledge) or scored tokens (perplexity) per model; [low, high]: the 95% "
           "interval stored with the value (over facts for fact accuracies; docs/evaluation.md, Intervals).")
    s.image(plots.models_plot(list(labels.values()), table), "models.png", out_dir, "familiarity and retention per model")
    by_model = {label: {m: table[m][label] for m in metrics if label in table[m]} for label in labels.values()}
    s.image(plots.tradeoff_plot(by_model), "tradeoff.png", out_dir, "familiarity against retention, one point per model and method")
    return s


ROLE_ORDER = {"subject": 0, "base": 1, "reinforced": 2, "unlearned": 3}


def _forgetting_section(store, evs: list[Artifact | None], rows, out_dir) -> Section:
    """The forgetting metrics of docs/evaluation.md: a line per model against the base model, what each model
    continues the same forget prompts with, the relearning curve and the membership histograms. `evs` is the
    report's evaluate artifact first, then those measured the same way on other unlearned models."""
    s = Section("Forgetting: verbatim, knowledge, membership, relearning")
    ev = evs[0]
    tables = set(ev.tables) if ev is not None else set()
    if ev is None or "eval_scores" not in tables:
        s.note("No forgetting measurements in this evaluate artifact (it predates the evalsets stage): "
               "re-run `obliviate evaluate TARGET_FILE`.")
        return s
    labels = model_labels(rows)
    by_model: dict[str, list[dict]] = {}
    for r in rows:
        by_model.setdefault(r["model_version"], []).append(r)
    roles = {v: ms[0]["model_role"] for v, ms in by_model.items()}
    base = next((v for v, role in roles.items() if role == "base"), None)
    if "subject" not in roles.values():
        s.note("The subject is the base model itself (implant disabled, the realistic case): the reference below "
               "is the model before unlearning, not a model that never saw the corpus.")
    else:
        s.note("Reference: the base model, which never saw the implanted corpus (what a model that was never "
               "taught the forget documents scores). ROUGE-L and two-choice accuracy on forget items; AUC of "
               "forget against holdout excerpts; recovery: share of what unlearning removed that ten steps of "
               "fine-tuning on other forget documents bring back (docs/evaluation.md).")
    order = sorted(labels, key=lambda v: (ROLE_ORDER.get(roles[v], 9), labels[v]))
    lines = [RF.summary_line(labels[v], by_model[v], by_model.get(base) if v != base else None) for v in order]
    s.md.append("\n".join(f"- {line}" for line in lines))
    s.html.append("<ul>" + "".join(f"<li>{escape(line)}</li>" for line in lines) + "</ul>")
    for v in order:
        if (reading := _hidden_or_removed(labels[v], {r["metric"]: r for r in by_model[v]})) is not None:
            s.text(reading)
    scores = _rows_of(store, evs, "eval_scores", set(labels))
    items = _items_of(store, ev)
    pairs = RF.before_after(scores, {v: labels[v] for v in order})
    if pairs:
        s.text(f"Greedy continuations of the same forget prompts (the items {labels[order[0]]} reproduces best; "
               "verbatim items of the eval_items table):")
        names = [labels[v] for v in order]
        s.table(["prompt (end)", "true continuation", *names],
                [["…" + (items.get(p["item_id"], {}).get("prompt") or "")[-80:],
                  items.get(p["item_id"], {}).get("answer") or "", *[p[n] or "" for n in names]] for p in pairs])
    hist = {labels[v]: {side: [r["value"] for r in scores if r["model_version"] == v and r["metric"] == "membership_mink_pp"
                               and r["split"] == side] for side in ("forget", "holdout")} for v in order}
    s.image(RF.membership_histograms(hist), "membership.png", out_dir,
            "membership: Min-K%++ scores of forget and holdout excerpts per model")
    curve = _rows_of(store, evs, "relearn_curve", set(labels)) if "relearn_curve" in tables else []
    if curve:
        s.image(RF.relearn_plot(curve, {v: labels[v] for v in order}), "relearn.png", out_dir,
                "relearning attack: forget-side metrics against fine-tuning step")
    else:
        s.note("No relearning attack in this evaluation (evaluate.relearn_roles is empty or no unlearned model).")
    return s


def _rows_of(store, evs: list[Artifact], table: str, versions: set[str]) -> list[dict]:
    """A table's rows of the given models, each model's from the first artifact that measured it."""
    out, done = [], set()
    for art in evs:
        if table not in art.tables:
            continue
        found = [r for r in store.read(table, art).to_pylist() if r["model_version"] in versions - done]
        out += found
        done |= {r["model_version"] for r in found}
    return out


def _anchors_section(store, dictionary: Artifact | None, top: int = 12) -> Section:
    """The dictionary the unlearned model was trained against: top anchors, top rejections, what to review."""
    from anchors.review import summary_rows

    s = Section("Anchor dictionary")
    if dictionary is None or "anchor_candidates" not in dictionary.tables:
        s.note("No anchor dictionary in this report's lineage.")
        return s
    cols = ["term", "label", "n_mentions", "zipf", "decision", "reason", "replacement"]
    rows = store.read("anchor_candidates", dictionary, cols).to_pylist()
    tables = summary_rows(rows, top)
    n_acc = sum(r["decision"] == "accepted" for r in rows)
    s.text(f"Anchors artifact {dictionary.version}: {n_acc} accepted of {len(rows)} candidates "
           "(`anchor_candidates_current` in SQL; `obliviate explain TERM TARGET_FILE` for one term's evidence).")
    s.table(["term", "type", "replacement", "mentions"], [list(r) for r in tables["accepted"]], numeric={3})
    s.table(["rejected term", "mentions", "reason"], [list(r) for r in tables["rejected"]], numeric={1})
    if tables["suspicious"]:
        s.text("Decisions to review first:")
        s.table(["term", "why"], [list(r) for r in tables["suspicious"]])
    return s


def _hidden_or_removed(label: str, metrics: dict[str, dict]) -> str | None:
    """One plain sentence on whether the membership signal of a model still differs from the base model's."""
    gap = metrics.get("membership_auc_gap_mink_pp")
    if gap is None or gap.get("ci_low") is None or gap["value"] != gap["value"]:
        return None
    if gap["ci_low"] > 0:
        verdict = "still recognises the forget documents more than the base model does (hidden, not removed)"
    elif gap["ci_high"] < 0:
        verdict = "finds the forget documents less likely than the base model does (over-unlearned: a trace too)"
    else:
        verdict = "is not distinguishable from the base model on membership at this sample size"
    text = f"{label}: membership AUC gap to the base model {gap['value']:+.2f} [{gap['ci_low']:+.2f}, {gap['ci_high']:+.2f}]: {verdict}"
    rec = metrics.get("relearn_recovery_knowledge_choice_acc_forget")
    if rec is not None and rec["value"] == rec["value"]:
        text += f"; relearning brings back {rec['value']:.0%} of the two-choice accuracy unlearning removed"
        beyond = metrics.get("relearn_beyond_control_knowledge_choice_acc_forget")
        if beyond is not None and beyond["value"] == beyond["value"]:
            text += (f", {beyond['value']:.0%} of it beyond where the same attack brings the base model"
                     if beyond["value"] > 0 else
                     ", and it ends no higher than the base model attacked alike (beyond the control "
                     f"{beyond['value']:+.2f})")
    return text + "."


def _items_of(store, ev: Artifact) -> dict[str, dict]:
    version = ev.parents.get("evalsets")
    art = store.get("evalsets", ev.target, version) if version else None
    if art is None:
        return {}
    return {r["item_id"]: r for r in store.read("eval_items", art, columns=["item_id", "prompt", "answer"]).to_pylist()}


def _alpha_section(store, target, rows, out_dir) -> Section:
    s = Section("Familiarity against alpha")
    alphas = {a.version: a.settings.get("alpha") for a in store.artifacts("labels", target)}
    if not alphas:
        s.note("No labels artifact yet (the generic_labels table is missing).")
        return s
    unlearn = {a.version: a for a in store.artifacts("unlearn", target)}
    points: dict[str, list[tuple[float, float]]] = {}
    for r in rows:
        art = unlearn.get(r["model_version"])
        alpha = alphas.get(art.parents.get("labels")) if art else None
        if alpha is not None and r["metric"].startswith("familiarity"):
            points.setdefault(r["metric"], []).append((float(alpha), r["value"]))
    distinct = {a for pts in points.values() for a, _ in pts}
    if len(distinct) < 2:
        s.note(f"Needs unlearned models from label sets at two or more alphas; label sets exist at alpha "
               f"{sorted({a for a in alphas.values() if a is not None})}, evaluated unlearned models at {sorted(distinct)}.")
        return s
    s.table(["metric", "alpha", "value"], [[m, a, FMT.format(v)] for m, pts in points.items() for a, v in sorted(pts)],
            numeric={1, 2})
    s.image(plots.alpha_plot(points), "alpha.png", out_dir, "familiarity against alpha")
    return s


def _labels_section(store, labels: Artifact | None, decode, out_dir) -> Section:
    s = Section("Generic labels: what changed")
    if labels is None:
        s.note("No generic labels behind the evaluated unlearned model (none yet, or it was not trained on labels).")
        return s
    info = label_changes(store, labels, decode)
    s.text(f"Labels {info['version']} (alpha {info['alpha']}): {info['changed']:,} of {info['positions']:,} trained "
           f"positions ({info['share']:.1%}) have a generic label different from the original next token.")
    s.table(["change", "positions"], [[c, n] for c, n in info["top"]], numeric={1})
    s.image(plots.changes_plot(info["top"]), "label_changes.png", out_dir, "most frequent label changes")
    return s


def _viewer_section(store, blocks: Artifact | None, translation: Artifact | None, labels: Artifact | None,
                    decode) -> Section:
    s = Section("Sample blocks: original beside translated")
    if blocks is None or translation is None:
        s.note("No blocks behind the evaluated unlearned model yet.")
        return s
    s.note("Highlighted: substituted terms (hover for the replacement). Underlined: tokens whose generic label "
           "differs from them (hover for the label)." + ("" if labels else " No labels for these blocks yet."))
    for html in sample_blocks(store, blocks, translation, labels, decode):
        s.html.append(html)
    s.md.append("(The side-by-side viewer is in report.html.)")
    return s


def _samples_section(ev: Artifact | None) -> Section:
    s = Section("Familiar completions (samples)")
    samples = (ev.stats.get("samples") or {}) if ev else {}
    rows = [[v, x["prompt"], x["completion"], ", ".join(x["terms"])] for v, xs in samples.items() for x in xs[:4]]
    if not rows:
        s.note("No familiar completions recorded.")
        return s
    s.table(["model version", "prompt", "completion", "target terms"], rows)
    return s


def _lineage_section(store, target) -> Section:
    s = Section("Models, settings and lineage")
    try:
        models = store.query("select role, version, method, parent_version, base_model from models where target = ?",
                             [target])
    except Exception:  # no model stage has run: the view does not exist
        models = []
    if models:
        s.table(["role", "version", "method", "parent", "base model"], [list(r) for r in models])
    else:
        s.note("No models table yet.")
    arts = store.artifacts(target=target)
    s.table(["kind", "version", "parents", "created (UTC)", "settings"],
            [[a.kind, a.version, ", ".join(f"{r}={v}" for r, v in a.parents.items()), a.created_at.strftime("%Y-%m-%d %H:%M:%S"),
              json.dumps(a.settings, sort_keys=True, default=str)[:400]] for a in arts])
    return s


def _decoder(base: Artifact | None):
    """Token decoding with the base model's tokenizer, or None when there is none."""
    if base is None:
        return None
    try:
        from training.models import load_tokenizer, model_folder

        tok = load_tokenizer(model_folder(base))
    except Exception:  # a report never fails for want of token names
        return None
    return lambda t: tok.decode([int(t)])
