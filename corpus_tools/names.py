"""Target names: the one spelling a target may have, because a target name becomes a folder.

`artifacts/<kind>/<target>/<version>` is built from the name, so a name must not be able to
leave the workspace (`../x`, `/abs`), and two spellings must not reach one folder (`a`, `./a`,
`a/`). Only lower-case letters, digits, `_` and `-`, starting with a letter or digit, at most 64
characters: short enough for every file system, printable on one `status` line. See
docs/reliability.md.
"""

from __future__ import annotations

import re

from corpus_tools.errors import ObliviateError

PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
RULE = "1-64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"


def target_name(value: object) -> str:
    """`value` if it is a valid target name, else an ObliviateError naming it and the rule."""
    if not isinstance(value, str) or PATTERN.fullmatch(value) is None:
        shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
        raise ObliviateError(f"invalid target name {shown}: a target name is {RULE}")
    return value
