"""Completion fact items: a prompt that stops where a fact's answer starts, and the answers that count.

One JSON object per line: {"prompt", "answers": [...], "topic", "split": "dev"|"test",
"known_by_base": bool, "base_completion": str}. `prompt`, `answers` and `topic` are written by hand;
the other fields are filled by `benchmarks/measure_fact_items.py` from the base model's greedy
completions, so the choice of kept items can be audited and redone (docs/pretrained.md).

An item is *known* when the greedy completion contains one of its answers as a whole word,
case-insensitively (`training.metrics.answer_found`). A split is drawn from the item's fact (topic and
first answer), not from its wording, so two phrasings of one fact never straddle dev and test.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

from corpus_tools.atomic import replaced
from corpus_tools.errors import ObliviateError
from training import metrics as M
from corpus_tools.jsonl import numbered_rows

DEV_SHARE = 0.3
REQUIRED = ("prompt", "answers", "topic")


def read_items(path: Path) -> list[dict]:
    """The items of one file, checked: every answer must be absent from its prompt (else echoing it would count),
    and no prompt may repeat (the prompt is the item's id in `eval_scores` and the key of its fact's interval)."""
    items, seen = [], {}
    for number, item in numbered_rows(path, REQUIRED):
        if item["prompt"] in seen:
            raise ObliviateError(f"{path}:{number}: the prompt repeats line {seen[item['prompt']]}'s; each item needs "
                                 "its own prompt (it is the item's id)")
        seen[item["prompt"]] = number
        if not item["answers"] or not all(isinstance(a, str) and a.strip() for a in item["answers"]):
            raise ObliviateError(f"{path}:{number}: 'answers' must be a non-empty list of non-empty strings")
        echoed = [a for a in item["answers"] if M.answer_found(item["prompt"], a)]
        if echoed:
            raise ObliviateError(f"{path}:{number}: answer {echoed[0]!r} already appears in the prompt")
        items.append(item)
    return items


def write_items(path: Path, items: list[dict]) -> None:
    """Write `items` as JSON lines, whole or not at all: a temporary file beside `path`, renamed over it."""
    with replaced(Path(path)) as tmp:
        tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")


def is_known(completion: str, answers: list[str]) -> bool:
    """Whether a completion states the fact: one of the answers, whole word, any case."""
    return any(M.answer_found(completion, a) for a in answers)


CHAT_ASK = "Finish this sentence: {prompt}"


def chat_prompts(tok, prompts: list[str]) -> list[str]:
    """Each prompt as a one-turn chat through the model's own template, ending where the assistant's reply begins:
    the fact asked as a user of an instruct model asks it ("Finish this sentence: <prompt>"). The reply is graded
    as a completion is (`is_known`); repeating the prompt earns nothing, since no answer is in its prompt."""
    if not getattr(tok, "chat_template", None):
        raise ObliviateError("the model's tokenizer has no chat template, so its fact items cannot be asked in chat "
                             "form; they are asked as plain text (the evaluate stage's fact_files)")
    return [tok.apply_chat_template([{"role": "user", "content": CHAT_ASK.format(prompt=p)}], tokenize=False,
                                    add_generation_prompt=True) for p in prompts]


def fact_of(item: dict) -> str:
    """The fact an item asks for (topic + first answer): its paraphrases share it, and so a split and an interval's
    resampling unit."""
    return f"{item['topic']}\0{item['answers'][0].strip().lower()}"


def split_of(item: dict, dev_share: float = DEV_SHARE) -> str:
    """'dev' or 'test', stable, decided by the fact (fact_of) so paraphrases stay together."""
    return "dev" if int(hashlib.sha256(fact_of(item).encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < dev_share else "test"


def split_beside(main_items: list[dict]):
    """The split rule of a *selection* file written beside a main file: every item is 'dev' (for choosing a
    recipe) unless one of its answers is an answer of a test item of the main file, under any topic ("Mr" ->
    " Hyde" asked about classics is still the main file's test fact "Hyde"); those stay 'test', so choosing never
    reads a fact the main file reports on. Stricter than `fact_of`, on purpose: a shared answer is enough."""
    test_answers = {a.strip().lower() for i in main_items if i.get("split", split_of(i)) == "test" for a in i["answers"]}
    return lambda item: "test" if any(a.strip().lower() in test_answers for a in item["answers"]) else "dev"


def mark(items: list[dict], completions: list[str], split=split_of) -> list[dict]:
    """Items with split (`split(item)`), known_by_base and base_completion filled in (the input dicts are not
    changed)."""
    if len(items) != len(completions):
        raise ObliviateError(f"{len(items)} items but {len(completions)} completions")
    return [{**{k: v for k, v in item.items() if k not in ("split", "known_by_base", "base_completion")},
             "split": split(item), "known_by_base": is_known(c, item["answers"]), "base_completion": c}
            for item, c in zip(items, completions)]


def measure(model, tok, files: dict[Path, list[dict]], new_tokens: int, split=split_of, batch_size: int = 32,
            advance=lambda n: None) -> dict[Path, list[dict]]:
    """Each file's items marked (`mark`) by `model`'s greedy completions of `new_tokens` tokens: which ones it knows,
    and each item's split (`split`). One batched pass over every file's prompts; nothing is written."""
    from training.generation import greedy_complete

    prompts = [item["prompt"] for items in files.values() for item in items]
    completions = greedy_complete(model, tok, prompts, new_tokens, batch_size, advance)
    out, at = {}, 0
    for path, items in files.items():
        out[path] = mark(items, completions[at:at + len(items)], split)
        at += len(items)
    return out


def summary(path: Path, items: list[dict]) -> list[str]:
    """Two lines on a marked file: how many items the base model knows, per split, and per topic ("myth 12/30")."""
    kept = known(items)
    splits = Counter(split_name(i) for i in kept)
    topics, known_topics = Counter(i["topic"] for i in items), Counter(i["topic"] for i in kept)
    return [f"{Path(path).name}: {len(kept)} of {len(items)} known (dev {splits['dev']}, test {splits['test']})",
            "  " + ", ".join(f"{t} {known_topics[t]}/{n}" for t, n in sorted(topics.items()))]


def known_by_base(item: dict) -> bool:
    """Whether the base model knows `item`: its measured `known_by_base`. An item without the field (a user's file the
    base model was never measured on) counts as known, so every item of such a file is a forgetting test."""
    return bool(item.get("known_by_base", True))


def split_name(item: dict) -> str:
    """The item's split; an item without one is a test item (nothing may be chosen on it)."""
    return item.get("split", "test")


def known(items: list[dict], split: str | None = None) -> list[dict]:
    """The items the base model knows (`known_by_base`), optionally of one split (`split_name`): the ones a forgetting
    test should use. The evaluate stage and the benchmarks read a file through this one rule."""
    return [i for i in items if known_by_base(i) and (split is None or split_name(i) == split)]


def accuracy_by(items: list[dict], completions: list[str], group) -> dict[str, tuple[int, int]]:
    """{group: (answered, items)} for `group(item)` -> name (e.g. the topic, or whether a retain corpus
    covers it): where a model's fact accuracy is lost or kept."""
    if len(items) != len(completions):
        raise ObliviateError(f"{len(items)} items but {len(completions)} completions")
    out: dict[str, tuple[int, int]] = {}
    for item, c in zip(items, completions):
        name = group(item)
        hit, n = out.get(name, (0, 0))
        out[name] = (hit + is_known(c, item["answers"]), n + 1)
    return out
