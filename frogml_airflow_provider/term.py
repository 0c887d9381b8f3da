"""Terminal output for people: colour and a progress line on a terminal, plain text elsewhere
(pipes, files, CI, ``NO_COLOR``), so that what programs read never changes."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from pathlib import Path
from typing import TextIO

TONES = {"ok": "32", "create": "32", "update": "33", "unchanged": "2", "error": "31", "warning": "33"}


def is_terminal(stream: TextIO) -> bool:
    return hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")


def tag(word: str, stream: TextIO | None = None, width: int = 6) -> str:
    """``word`` padded to a column, coloured by what it says when ``stream`` is a terminal."""
    out = stream or sys.stdout
    padded = f"{word:<{width}}"
    code = TONES.get(word)
    return f"\033[{code}m{padded}\033[0m" if code and is_terminal(out) else padded


class Progress:
    """``[12/500] file.py`` rewritten in place on stderr while files load; silent off a terminal."""

    def __init__(self, what: str, stream: TextIO | None = None) -> None:
        self.what = what
        self.stream = stream or sys.stderr
        self.shown = False

    def __call__(self, done: int, total: int, path: Path) -> None:
        if total < 20 or not is_terminal(self.stream):
            return  # a handful of files needs no progress line
        self.stream.write(f"\r\033[K{self.what} [{done}/{total}] {path.name}")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def printable(text: str) -> str:
    """``text`` with control and invisible characters escaped (an ESC or CR in a name or message
    must not move the cursor or recolour the terminal); line breaks kept. Every command prints
    names and fields that come from files or from JFrog ML through it."""
    return "\n".join(
        "".join(char if unicodedata.category(char) not in _UNPRINTABLE else repr(char)[1:-1] for char in line)
        for line in text.split("\n")
    )


_UNPRINTABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def json_text(data: object) -> str:
    """``data`` as indented JSON for a terminal or a program: readable UTF-8, but every character
    ``printable`` escapes ``\\u``-escaped (JSON escapes C0 only: C1's CSI or U+2028 would reach the
    terminal raw). Still valid JSON: apart from the line breaks of the indentation, such characters
    can only occur inside strings."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return "".join(
        _json_escape(char) if char != "\n" and unicodedata.category(char) in _UNPRINTABLE else char for char in text
    )


def _json_escape(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # a surrogate pair, as JSON spells it
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def table_lines(headers: tuple[str, ...], rows: list[list[str]]) -> list[str]:
    """``headers`` and ``rows`` as aligned text lines (two spaces between columns), header first."""
    rows = [[printable(cell).replace("\n", "\\n") for cell in row] for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=False)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (list(headers), *rows)
    ]
