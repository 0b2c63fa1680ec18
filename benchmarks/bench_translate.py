"""translate throughput: our Aho-Corasick pass against a per-term regex loop and a token-id matching loop.

The text is the bundled Harry Potter corpus repeated; the dictionary is 32 real terms, optionally
padded with invented keys to the paper's size (1,599 keys: a regex loop pays per key, we do not).
Runs alternate ours / baseline and report medians.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from pathlib import Path

from corpus_tools.translate import Matcher, translate_arrays, translate_text

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "data" / "targets" / "harry_potter" / "corpus"

HP = [("Harry Potter", "Jon Huggins"), ("Harry", "Jon"), ("Potter", "Huggins"), ("Hermione Granger", "Sophie Lane"),
      ("Hermione", "Sophie"), ("Granger", "Lane"), ("Ron Weasley", "Tom Baxter"), ("Ron", "Tom"), ("Weasley", "Baxter"),
      ("Albus Dumbledore", "Edwin Marsh"), ("Dumbledore", "Marsh"), ("Albus", "Edwin"), ("Voldemort", "Malvern"),
      ("Snape", "Carver"), ("Severus", "Gilbert"), ("Draco", "Nigel"), ("Malfoy", "Fenwick"), ("Hagrid", "Brannock"),
      ("Sirius", "Wendell"), ("Grindelwald", "Harrowgate"), ("Ollivander", "Pemberton"), ("Hogwarts", "Mystic Academy"),
      ("Gryffindor", "Lionhall"), ("Slytherin", "Serpentine"), ("Quidditch", "Skyball"), ("Muggle", "Plainfolk"),
      ("Horcrux", "soul vessel"), ("Horcruxes", "soul vessels"), ("Hallows", "Relics"), ("Elder Wand", "Old Staff"),
      ("Peverell", "Ashdown"), ("Gellert", "Conrad")]


def corpus_text(n_chars: int) -> str:
    base = "\n\n".join(f.read_text() for f in sorted(CORPUS.glob("*.md")))
    return (base + "\n\n") * (n_chars // (len(base) + 2) + 1)


def dictionary(n_keys: int) -> list[tuple[str, str, str]]:
    rng = random.Random(0)
    syll = ["ka", "lo", "mir", "ves", "tan", "dor", "rin", "qua", "zel", "bru"]
    entries = [(t, r, "PERSON") for t, r in HP]
    while len(entries) < n_keys:
        word = "".join(rng.choice(syll) for _ in range(3)).capitalize()
        entries.append((word, word[::-1].capitalize(), "PERSON"))
    return list({t: (t, r, lab) for t, r, lab in entries}.values())


def regex_loop(text: str, entries) -> str:
    """One re.sub per term, longest first (what a script without a multi-pattern matcher does)."""
    for term, repl, _ in sorted(entries, key=lambda e: -len(e[0])):
        text = re.sub(r"(?<!\w)" + re.escape(term) + r"(?!\w)", repl, text)
    return text


def token_loop(ids: list[int], table: dict[tuple[int, ...], list[int]], max_len: int) -> list[int]:
    """Token-id matching like the authors' script: at each position try every key's id sequence."""
    out, i = [], 0
    while i < len(ids):
        for n in range(max_len, 0, -1):
            repl = table.get(tuple(ids[i:i + n]))
            if repl is not None:
                out += repl
                i += n
                break
        else:
            out.append(ids[i])
            i += 1
    return out


def _median_pair(ours, baseline, repeats: int) -> tuple[float, float]:
    a, b = [], []
    for _ in range(repeats):
        t = time.perf_counter(); ours(); a.append(time.perf_counter() - t)
        t = time.perf_counter(); baseline(); b.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def _tokenizer():
    from transformers import AutoTokenizer

    from training.models import smollm2_gguf_path

    gguf = smollm2_gguf_path()
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


def run(quick: bool = False) -> list[dict]:
    mb = 2 if quick else 20
    text = corpus_text(mb * 1_000_000)
    size_mb = len(text.encode()) / 1e6
    repeats = 3
    results = []
    for n_keys in (len(HP), 1599):
        entries = dictionary(n_keys)
        m = Matcher(entries, plural_labels=())  # the regex loop has no plural rule
        assert translate_text(text[:200_000], m)[0] == regex_loop(text[:200_000], entries)  # same output
        small = text[: len(text) // (4 if n_keys < 100 else 40)]  # the regex loop is too slow for the full text
        for name, fn in (("stage path, translate_arrays", translate_arrays), ("translate_text with Span objects", translate_text)):
            # CPU seconds of this process: on a shared machine wall time measures the neighbours too.
            cpu = statistics.median(_time(lambda: fn(text, m), time.process_time) for _ in range(repeats))
            wall = statistics.median(_time(lambda: fn(text, m)) for _ in range(repeats))
            results.append({"name": f"translate MB/s per CPU second ({name}; {n_keys} keys, {size_mb:.0f} MB; "
                                    f"wall-clock {size_mb / wall:.1f} MB/s)", "ours": size_mb / cpu,
                            "baseline": None, "ratio": None, "target": ">= 20 MB/s", "pass": size_mb / cpu >= 20})
        ours_s, base_s = _median_pair(lambda: translate_arrays(small, m), lambda: regex_loop(small, entries), repeats)
        small_mb = len(small.encode()) / 1e6
        ratio = base_s / ours_s
        results.append({"name": f"translate vs per-term regex loop ({n_keys} keys, MB/s)", "ours": small_mb / ours_s,
                        "baseline": small_mb / base_s, "ratio": ratio, "target": ">= 10x", "pass": ratio >= 10})
    tok = _tokenizer()
    sample = text[: 200_000 if quick else 1_000_000]
    ids = tok(sample, add_special_tokens=False)["input_ids"]
    table = {}
    for term, repl, _ in dictionary(len(HP)):
        for form in (term, " " + term):  # the authors needed both forms per key
            table[tuple(tok(form, add_special_tokens=False)["input_ids"])] = tok(form.replace(term, repl), add_special_tokens=False)["input_ids"]
    max_len = max(map(len, table))
    m = Matcher(dictionary(len(HP)), plural_labels=())
    ours_s, base_s = _median_pair(lambda: translate_arrays(sample, m), lambda: token_loop(ids, table, max_len), repeats)
    sample_mb = len(sample.encode()) / 1e6
    results.append({"name": f"translate vs token-id matching loop ({len(HP)} keys, MB/s; baseline excludes tokenising)",
                    "ours": sample_mb / ours_s, "baseline": sample_mb / base_s, "ratio": base_s / ours_s,
                    "target": "> 1x (no target set; for comparison)", "pass": base_s / ours_s > 1})
    return results


def _time(fn, clock=time.perf_counter) -> float:
    t = clock()
    fn()
    return clock() - t


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
