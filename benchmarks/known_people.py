"""Real people a model knows by their given name: the list `[unlearn] translated_names` reads.

Pairs "Given Surname" are read from corpus folders (.md / .txt) where the given name is one gender-guesser knows and
the surname also stands alone at least twice (the corpus names the person again by surname: "Isaac Newton ...
Newton") and is not a common English word; a pair is kept when the model gives the first token of " <Surname>" a probability
of at least --min-p after "A short biography of <Given>": the completion the translated rows are meant to hold. Written to stdout (or --out), most mentioned
first; with --exclude, no name that is a word of those files (the evaluation's items). Usage:
python -m benchmarks.known_people MODEL_DIR CORPUS_FOLDER... [--out FILE] [--min-p 0.1] [--exclude FILE...]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import torch
from wordfreq import zipf_frequency

from anchors.gender import UNKNOWN, guess_name, is_known_name
from training.models import load_model, load_tokenizer
from training.retain import retain_files

WORD = r"[A-Z][a-zà-öø-ÿ]+"
LEAD = "A short biography of {given}"


def candidate_pairs(text: str) -> list[tuple[str, str]]:
    """(given, surname) pairs of `text`, most mentioned first: a given name gender-guesser knows the gender of, a
    surname it does not know as a given name, seen alone twice and
    not a common English word ("Trinity College" is out: "college" has Zipf frequency 5.3)."""
    pairs = Counter(re.findall(rf"(?<![\w.])({WORD}) ({WORD})(?!\w)", text))
    alone = Counter(re.findall(rf"(?<!\w)({WORD})(?!\w)", text))
    keep = [(p, n) for p, n in pairs.items() if guess_name(p[0]) != UNKNOWN and not is_known_name(p[1])
            and alone[p[1]] >= 2 and zipf_frequency(p[1].lower(), "en") < 5]
    return [p for p, _ in sorted(keep, key=lambda pn: -pn[1])]


def disjoint(pairs: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """The pairs neither of whose names is a word of `text`: names the evaluation asks about ("written by Roald" ->
    " Dahl") stay out, so the renamed rows never hold an evaluated completion."""
    words = set(re.findall(r"\w+", text))
    return [(g, s) for g, s in pairs if g not in words and not set(re.findall(r"\w+", s)) & words]


@torch.no_grad()
def known(pairs: list[tuple[str, str]], model, tokenizer, min_p: float = 0.1) -> list[tuple[str, str]]:
    """The pairs whose surname's first token the model gives at least `min_p` after the lead and the given name."""
    out = []
    for given, surname in pairs:
        ids = tokenizer(LEAD.format(given=given), return_tensors="pt")["input_ids"]
        first = tokenizer(" " + surname, add_special_tokens=False)["input_ids"][0]
        p = float(model(input_ids=ids).logits[0, -1].softmax(-1)[first])
        if p >= min_p:
            out.append((given, surname))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model", type=Path)
    ap.add_argument("corpus", nargs="+", type=Path, help="folders of .md / .txt text")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--min-p", type=float, default=0.1)
    ap.add_argument("--exclude", nargs="*", type=Path, default=[],
                    help="files (the evaluation's fact items) whose words no kept name may be")
    args = ap.parse_args()
    text = "\n".join(f.read_text(encoding="utf-8") for f in retain_files([str(c) for c in args.corpus], "corpus"))
    pairs = candidate_pairs(text)
    if args.exclude:
        pairs = disjoint(pairs, "\n".join(f.read_text(encoding="utf-8") for f in args.exclude))
    kept = known(pairs, load_model(args.model), load_tokenizer(args.model), args.min_p)
    lines = [f"# {len(kept)} of {len(pairs)} people of {' '.join(c.name for c in args.corpus)} whose surname the model gives p >= "
             f"{args.min_p} after their given name, none named in {len(args.exclude)} files (benchmarks/known_people.py)"] + [f"{g} {s}" for g, s in kept]
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
