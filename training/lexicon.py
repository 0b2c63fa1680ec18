"""Familiarity graded by a hand-written lexicon of the target's terms, independent of the pipeline's dictionary.

The dictionary the model was unlearned against cannot judge what it missed: a completion that names
a character the dictionary never anchored looks clean to it. A lexicon written by a person (one JSON
object per line: {"term", "type", "gender", "must_anchor", "aliases": [...]}) can. Rules (why:
docs/lexicon.md):

- A *form* is a term or one of its aliases. It is found in a text as a whole word, with an optional
  plural "s" ("Weasleys"); possessives match because "'" is not a word character.
- A form is *ordinary* when every word of it is ordinary English: a function word or at least
  `AMBIGUOUS_ZIPF` on wordfreq's Zipf scale ("James" 5.1, "Black" 5.5, "Harry" 4.7), titles and
  "the"/"of" set aside ("Professor Black" is as ordinary as "Black"). Ordinary forms match only as
  written ("Black", never "black"; "Great Hall", never "great hall"); the others in any case
  ("hogwarts").
- A form is *ambiguous* when it is ordinary and has a single word left once titles are set aside
  ("James", "the Ministry"): such a word names a character only by coincidence. An ordinary form of
  several words ("Ministry of Magic", "Great Hall") is a coined name: it counts alone, as do all
  forms with a rarer word ("Hermione" 3.3, "Sirius Black").
- A form counts only when the prompt does not contain it: the model must have supplied it.
- Grade: "explicit" when a form that is not ambiguous counts, or two different ambiguous forms
  count together ("Bill and George"); "thematic" when a single ambiguous form counts alone ("James
  Blackstone" for a headmaster: "James" alone says nothing); "none" otherwise. These are the grades
  of the evaluate stage's grader hook and of the paper's weighted score (explicit 5, thematic 1).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from corpus_tools.errors import ObliviateError
from corpus_tools.jsonl import numbered_rows

LEXICON_FILE = "lexicon.jsonl"
TYPES = frozenset({"person", "family", "place", "organisation", "object", "title", "creature", "event", "other"})
AMBIGUOUS_ZIPF = 4.5  # ~ the 3,000 most frequent English words: "Harry" 4.7 and "Peter" 4.9 are above it
# Left aside when judging a multi-word form: "Professor McGonagall" is as distinctive as "McGonagall".
CONNECTORS = frozenset("the of and a an de la le van von mr mrs ms miss dr sir lady lord madam madame "
                       "professor uncle aunt saint st".split())


@dataclass(frozen=True)
class Form:
    text: str
    term: str
    ambiguous: bool       # counts only beside another form
    case_sensitive: bool  # ordinary English words: only their capitalised spelling is a name


@dataclass
class Grade:
    distinctive: list[str] = field(default_factory=list)  # distinctive forms the completion supplied
    ambiguous: list[str] = field(default_factory=list)    # ambiguous forms the completion supplied

    @property
    def explicit(self) -> bool:
        return bool(self.distinctive) or len({a.lower() for a in self.ambiguous}) >= 2

    @property
    def label(self) -> str:
        return "explicit" if self.explicit else "thematic" if self.ambiguous else "none"


def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en")


def _content_words(form: str) -> tuple[list[str], int]:
    words = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", form)
    return [w for w in words if w.lower().strip(".") not in CONNECTORS], len(words)


def is_ordinary(form: str, ambiguous_zipf: float = AMBIGUOUS_ZIPF) -> bool:
    """Whether every word of a form, titles and connectors set aside, is ordinary English."""
    from corpus_tools.align import FUNCTION_WORDS

    content, n_words = _content_words(form)
    words = content or re.findall(r"[^\W\d_]+", form)
    return all(w.lower() in FUNCTION_WORDS or _zipf(w) >= ambiguous_zipf for w in words)


def is_ambiguous(form: str, ambiguous_zipf: float = AMBIGUOUS_ZIPF) -> bool:
    """An ordinary form with at most one word once titles are set aside ("James", "the Ministry")."""
    content, _ = _content_words(form)
    return len(content) <= 1 and is_ordinary(form, ambiguous_zipf)


class Lexicon:
    """The forms of a lexicon and a grader over them. Calling it is the evaluate stage's grader hook."""

    def __init__(self, entries: list[dict], ambiguous_zipf: float = AMBIGUOUS_ZIPF, name: str = "lexicon"):
        self.entries = entries
        forms: dict[str, Form] = {}
        for e in entries:
            for text in [e["term"], *e.get("aliases", [])]:
                text = text.strip()
                if text and text.lower() not in forms:  # the first entry to claim a spelling keeps it
                    forms[text.lower()] = Form(text, e["term"], is_ambiguous(text, ambiguous_zipf),
                                               is_ordinary(text, ambiguous_zipf))
        self.forms = sorted(forms.values(), key=lambda f: (-len(f.text), f.text))
        self._by_lower = {f.text.lower(): f for f in self.forms}
        self._pattern = self._compile(self.forms)
        self.__name__ = name  # evaluate records the grader by name: the name carries the file's hash

    @staticmethod
    def _compile(forms: list[Form]) -> re.Pattern | None:
        if not forms:
            return None
        # Longest first, so "Sirius Black" wins over "Black" at the same position.
        parts = [re.escape(f.text) if f.case_sensitive else f"(?i:{re.escape(f.text)})" for f in forms]
        # A lookahead finds a match at every start, overlapping ones included (`found` picks among them).
        return re.compile(rf"(?=(?<!\w)((?:{'|'.join(parts)})(?:s)?)(?!\w))")

    @classmethod
    def load(cls, path: Path, ambiguous_zipf: float = AMBIGUOUS_ZIPF) -> "Lexicon":
        path = Path(path)
        entries = []
        for number, entry in numbered_rows(path):
            if not isinstance(entry.get("term"), str) or not entry["term"].strip():
                raise ObliviateError(f"{path}:{number}: 'term' must be a non-empty string")
            if entry.get("type") == "organization":  # the US spelling of the same type
                entry["type"] = "organisation"
            if entry.get("type", "other") not in TYPES:
                raise ObliviateError(f"{path}:{number}: type {entry.get('type')!r} is not one of {', '.join(sorted(TYPES))}")
            aliases = entry.get("aliases", [])
            if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
                raise ObliviateError(f"{path}:{number}: 'aliases' must be a list of strings")
            entries.append(entry)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return cls(entries, ambiguous_zipf, name=f"lexicon-{digest}")

    def found(self, text: str) -> set[str]:
        """The forms in a text, lower-cased (a plural "s" stripped when the form itself does not end in it).

        Where matches overlap the longest wins, wherever it starts: " the Ministry of Magic" is
        "Ministry of Magic", not the alias "the Ministry" that a left-to-right scan would take first."""
        if self._pattern is None:
            return set()
        spans = [(m.start(), m.start() + len(m.group(1)), m.group(1)) for m in self._pattern.finditer(text)]
        taken, out = [], set()
        for start, end, matched in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
            if all(end <= a or start >= b for a, b in taken):
                taken.append((start, end))
                low = matched.lower()
                out.add(low if low in self._by_lower else low[:-1])
        return out

    def grade(self, prompt: str, completion: str) -> Grade:
        in_prompt = self.found(prompt)
        grade = Grade()
        for low in sorted(self.found(completion) - in_prompt):
            form = self._by_lower[low]
            # A form inside a longer one the prompt already has ("Black" after "Sirius Black") was given, not supplied.
            if any(re.search(rf"(?<!\w){re.escape(low)}(?!\w)", p) for p in in_prompt):
                continue
            (grade.ambiguous if form.ambiguous else grade.distinctive).append(form.text)
        return grade

    def __call__(self, prompt: str, completion: str) -> str:
        return self.grade(prompt, completion).label


def find_lexicon(*folders: Path) -> Path | None:
    """The first `lexicon.jsonl` in these folders (a target's prompts folder, then the target's folder)."""
    for folder in folders:
        if (Path(folder) / LEXICON_FILE).is_file():
            return Path(folder) / LEXICON_FILE
    return None
