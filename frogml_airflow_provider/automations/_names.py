"""Which identifiers the spec accepts, and how long any text may be.

Identifiers travel to JFrog ML and, on the local platform, into file names: a ``model_id`` of
``../../tmp/x`` must never get that far. The SDK checks none of them; the platform's own rules
are not published. What is known: JFrog ML derives a model ID from the model's name in lower
case, with spaces and ``-`` turned into ``_`` (``frogml.core.utils.model_utils``), the build
lowercases ``model_id``, the docs use ``my-model-id``, and the SDK caps model names at 60
characters (``FROG_ML_MAX_CHARS_FOR_NAME``). So the rules below are safe ones that keep every real
ID seen (``iris-classifier``, ``my-model-id``, ``churn_model``, variation ``B``, ``default``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

TEXT_LIMIT = 1024  # any other short text: a secret's name, a branch, a tag, an instance type
_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def too_long(length: int, limit: int) -> tuple[str, str]:
    """(problem, fix) for a text of ``length`` characters where ``limit`` is allowed."""
    return f"is {length:,} characters long", f"shorten it to at most {limit:,} characters"


def unprintable(value: str) -> str | None:
    """The first control or invisible character in ``value``, escaped, or None."""
    for char in value:
        if unicodedata.category(char) in _UNPRINTABLE:
            return repr(char)[1:-1] if char.isascii() else f"\\u{ord(char):04x}"
    return None


@dataclass(frozen=True)
class Rule:
    """What one kind of identifier may hold; ``fix`` says it to the user."""

    what: str
    chars: re.Pattern[str] | None  # one allowed character; None: any printable one but a path separator
    limit: int
    fix: str
    lower_case: bool = False

    @property
    def _valid(self) -> re.Pattern[str]:
        return _whole(self.chars.pattern if self.chars is not None else ".")

    def problem(self, value: str) -> str | None:
        if self._valid.fullmatch(value) if self.chars is not None else _is_plain_name(value):
            return None  # the common case, in one call: every automation passes here at parse time
        control = unprintable(value)
        if control:
            return f"contains the control character {control}"
        if "/" in value or "\\" in value or value.strip() in {".", ".."}:
            return f"looks like a path; {self.what} may not contain '/' or '\\' or be '.' or '..'"
        if self.chars is None:
            return None
        bad = sorted({c for c in value if not self.chars.fullmatch(c)})
        if bad and self.lower_case and all(self.chars.fullmatch(c.lower()) for c in bad):
            return f"has upper-case letters; {self.what} is lower case on JFrog ML (write {value.lower()!r})"
        if bad:
            return f"contains {', '.join(repr(c) for c in bad)}, not allowed in {self.what}"
        if not (value[:1].isascii() and value[:1].isalnum()):
            return f"starts with {value[:1]!r}; {self.what} starts with a letter or digit"
        return None


@lru_cache(maxsize=8)
def _whole(char_class: str) -> re.Pattern[str]:
    """Allowed characters only, the first an ASCII letter or digit."""
    return re.compile(f"(?=[A-Za-z0-9]){char_class}+")


def _is_plain_name(value: str) -> bool:
    return value.isprintable() and "/" not in value and "\\" not in value and value.strip() not in {".", ".."}


MODEL_ID = Rule(
    "a model ID",
    re.compile(r"[a-z0-9_-]"),
    64,
    "use lower-case letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters "
    "(e.g. 'iris-classifier' or 'churn_model')",
    lower_case=True,
)
VARIATION = Rule(
    "a variation name",
    re.compile(r"[A-Za-z0-9_-]"),
    64,
    "use letters, digits, '-' and '_', starting with a letter or digit, at most 64 characters (e.g. 'default')",
)
BUILD_ID = Rule(
    "a build ID",
    re.compile(r"[A-Za-z0-9_-]"),
    64,
    "give the build's ID as JFrog ML shows it: letters, digits, '-' and '_', at most 64 characters",
)
NAME = Rule(
    "a name",
    None,
    128,
    "use printable characters other than '/' and '\\', at most 128 characters (e.g. 'retrain_churn_model')",
)


def relative_path_problem(value: str) -> str | None:
    """A path inside the model's repository (``main_dir``, ``dependency_file_path``)."""
    control = unprintable(value)
    if control:
        return f"contains the control character {control}"
    normal = value.replace("\\", "/")
    if normal.startswith("/") or re.match(r"^[A-Za-z]:", normal):
        return "is an absolute path; it must be a path inside the model's repository"
    if ".." in normal.split("/"):
        return "climbs out with '..'; it must be a path inside the model's repository"
    return None
