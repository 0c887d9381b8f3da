"""``frogml-airflow upgrade PATH``: rewrite Qwak-era automation files to the frogml names.

``qwak.automations[.sub]`` becomes ``frogml.core.automations[.sub]`` and ``QwakBuildDeploy``
becomes ``FrogmlBuildDeploy``, wherever the file refers to them: imports, module aliases
(``qa.QwakBuildDeploy``), dotted uses (``qwak.automations.Automation``), names from ``import *``.
The edits are placed by the syntax tree and the tokens, never by matching text, so comments,
strings, layout and line endings stay as they were; a file already on the frogml names is left
alone, and upgrading an upgraded file changes nothing.

Pure: no Airflow, network or SDK import.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import difflib
import io
import os
import re
import sys
import tokenize
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from frogml_airflow_provider import automations
from frogml_airflow_provider.automations import qwak
from frogml_airflow_provider.errors import UpgradeError

_SPEC_MODULES = frozenset({qwak.FROGML_PACKAGE, *(f"{qwak.FROGML_PACKAGE}.{s}" for s in qwak.SUBMODULES)})
_LAYOUT_TOKENS = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
)
_QWAK_SPEC_MODULES = frozenset({qwak.QWAK_PACKAGE, *(f"{qwak.QWAK_PACKAGE}.{s}" for s in qwak.SUBMODULES)})


@dataclass(frozen=True)
class Note:
    """Something in the file that upgrade leaves as it is, and why."""

    line: int
    message: str


@dataclass(frozen=True)
class Upgraded:
    source: str
    notes: tuple[Note, ...]


def upgrade_source(source: str) -> Upgraded:
    """The source with the frogml names; raises SyntaxError for a file Python cannot parse."""
    return _Rewriter(source).run()


class _Rewriter:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tree = ast.parse(source)
        self.lines = re.split(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)", source)  # the parser's notion of lines
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        feed = iter(line.rstrip("\r\n") + "\n" for line in self.lines if line)
        self.tokens = [
            (self.starts[t.start[0] - 1] + t.start[1], self.starts[t.end[0] - 1] + t.end[1], t.type, t.string)
            for t in tokenize.generate_tokens(lambda: next(feed, ""))
            if t.type not in _LAYOUT_TOKENS
        ]
        self.edits: dict[tuple[int, int], str] = {}
        self.notes: list[Note] = []
        self.renamed: set[str] = set()  # names bound by an import of a Qwak-era class, unaliased
        self.star = False  # ``from <automations> import *``
        self.module_aliases: set[str] = set()  # names bound to the automations package or a submodule
        # What still means the Qwak class (positional parameters in the Qwak order):
        self.qwak_star = False
        self.qwak_bound: dict[str, str] = {}  # local name -> Qwak class name
        self.qwak_module_aliases: set[str] = set()
        self.qwak_root = False  # ``import qwak.automations``: ``qwak.automations`` chains are rewritten

    # positions: ast counts UTF-8 bytes within a line, tokenize and str slicing count characters
    def _at(self, line: int, byte_col: int) -> int:
        return self.starts[line - 1] + len(self.lines[line - 1].encode("utf-8")[:byte_col].decode("utf-8"))

    def _span(self, node: ast.expr | ast.alias) -> tuple[int, int]:
        assert node.end_lineno is not None and node.end_col_offset is not None
        return self._at(node.lineno, node.col_offset), self._at(node.end_lineno, node.end_col_offset)

    def _dotted_after(self, position: int) -> tuple[int, int]:
        """The span of the dotted name (``a . b``) whose first token starts at or after ``position``."""
        index = bisect.bisect_left(self.tokens, position, key=lambda token: token[0])
        start, end = self.tokens[index][0], self.tokens[index][1]
        while (
            index + 2 < len(self.tokens)
            and self.tokens[index + 1][3] == "."
            and self.tokens[index + 2][2] == tokenize.NAME
        ):
            index += 2
            end = self.tokens[index][1]
        return start, end

    def _edit(self, span: tuple[int, int], text: str) -> None:
        if self.source[span[0] : span[1]] != text:
            self.edits[span] = text

    def run(self) -> Upgraded:
        for node in ast.walk(self.tree):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                self._import_from(node, node.module)
            elif isinstance(node, ast.Import):
                self._import(node)
        self._uses()
        text = self.source
        for (start, end), new in sorted(self.edits.items(), reverse=True):
            text = text[:start] + new + text[end:]
        try:
            ast.parse(text)
        except SyntaxError as error:  # never hand back code that does not parse
            raise UpgradeError(f"line {error.lineno}: the rewrite would not parse ({error.msg})") from None
        return Upgraded(text, tuple(sorted(set(self.notes), key=lambda note: note.line)))

    def _import_from(self, node: ast.ImportFrom, module: str) -> None:
        target = qwak.frogml_module(module)
        if target is not None or module in _SPEC_MODULES or module.startswith(qwak.FROGML_PACKAGE + "."):
            if target is not None:
                self._edit(self._module_span(node), target)
            for alias in node.names:
                if target is not None:
                    self._qwak_binding(alias)
                if alias.name == "*":
                    self.star = True
                elif alias.name in qwak.RENAMED:
                    self._edit(self._name_span(alias), qwak.RENAMED[alias.name])
                    if alias.asname is None:
                        self.renamed.add(alias.name)
                elif alias.name in qwak.SUBMODULES:
                    self.module_aliases.add(alias.asname or alias.name)
        elif module in ("qwak", "frogml.core"):
            names = [alias.name for alias in node.names]
            if set(names) == {"automations"}:
                if module == "qwak":
                    self._edit(self._module_span(node), "frogml.core")
                    self.qwak_module_aliases.update(alias.asname or alias.name for alias in node.names)
                self.module_aliases.update(alias.asname or alias.name for alias in node.names)
            elif module == "qwak":
                self._leave(node.lineno, f"'from qwak import {', '.join(names)}'")
        elif module.split(".")[0] == "qwak":
            self._leave(node.lineno, f"the import of '{module}'")

    def _import(self, node: ast.Import) -> None:
        for alias in node.names:
            target = qwak.frogml_module(alias.name)
            if target is not None:
                self._edit(self._name_span(alias), target)
                if alias.asname is not None and alias.name in _QWAK_SPEC_MODULES:
                    self.module_aliases.add(alias.asname)
                    self.qwak_module_aliases.add(alias.asname)
                elif alias.asname is None:
                    self.qwak_root = True
            elif alias.name in _SPEC_MODULES and alias.asname is not None:
                self.module_aliases.add(alias.asname)
            elif alias.name == "qwak" and alias.asname is None and self._qwak_only_for_automations():
                self._edit(self._name_span(alias), qwak.FROGML_PACKAGE)
                self.qwak_root = True
            elif alias.name.split(".")[0] == "qwak":
                self._leave(node.lineno, f"the import of '{alias.name}'")

    def _qwak_binding(self, alias: ast.alias) -> None:
        if alias.name == "*":
            self.qwak_star = True
        elif alias.name in qwak.QWAK_FIELD_ORDER:
            self.qwak_bound[alias.asname or alias.name] = alias.name
        elif alias.name in qwak.SUBMODULES:
            self.qwak_module_aliases.add(alias.asname or alias.name)

    def _module_span(self, node: ast.ImportFrom) -> tuple[int, int]:
        start = self._at(node.lineno, node.col_offset)
        return self._dotted_after(start + len("from"))

    def _name_span(self, alias: ast.alias) -> tuple[int, int]:
        return self._dotted_after(self._span(alias)[0])

    def _qwak_only_for_automations(self) -> bool:
        """``import qwak`` used only as ``qwak.automations...``: the import can become frogml's."""
        parents = {child: parent for parent in ast.walk(self.tree) for child in ast.iter_child_nodes(parent)}
        uses = [n for n in ast.walk(self.tree) if isinstance(n, ast.Name) and n.id == "qwak"]
        return all(
            isinstance(parent := parents.get(use), ast.Attribute) and parent.attr == "automations" for use in uses
        )

    def _leave(self, line: int, what: str) -> None:
        self.notes.append(
            Note(
                line,
                f"{what} is left as it is: only the automations package of the Qwak SDK has a frogml name "
                "that automation files can use; move other Qwak code into the model's own repository",
            )
        )

    def _uses(self) -> None:
        defined = {
            target.id for node in ast.walk(self.tree) for target in _bound_names(node) if isinstance(target, ast.Name)
        } | {n.name for n in ast.walk(self.tree) if isinstance(n, ast.ClassDef | ast.FunctionDef)}
        by_star = set(qwak.RENAMED) - defined if self.star else set()
        if self.qwak_star:
            self.qwak_bound.update({name: name for name in set(qwak.QWAK_FIELD_ORDER) - defined})
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Call):
                self._qwak_call(node)
            if isinstance(node, ast.Name) and node.id in self.renamed | by_star:
                self._edit(self._span(node), qwak.RENAMED[node.id])
            elif isinstance(node, ast.Attribute):
                if self.qwak_root and node.attr == "automations" and _dotted(node.value) == "qwak":
                    self._edit(self._span(node), qwak.FROGML_PACKAGE)
                elif node.attr in qwak.RENAMED and self._is_automations_module(node.value):
                    end = self._span(node)[1]
                    self._edit((end - len(node.attr), end), qwak.RENAMED[node.attr])

    def _qwak_call(self, call: ast.Call) -> None:
        """A call of a Qwak class whose positional order differs: those arguments become keywords."""
        func = call.func
        if isinstance(func, ast.Name):
            name = self.qwak_bound.get(func.id)
        elif isinstance(func, ast.Attribute) and func.attr in qwak.QWAK_FIELD_ORDER:
            dotted = _dotted(func.value)
            qwak_module = dotted in self.qwak_module_aliases or (self.qwak_root and dotted in _QWAK_SPEC_MODULES)
            name = func.attr if qwak_module else None
        else:
            name = None
        if name is None:
            return
        qwak_order = qwak.QWAK_FIELD_ORDER[name]
        frogml_order = [field.name for field in dataclasses.fields(getattr(automations, name))]
        if any(isinstance(arg, ast.Starred) for arg in call.args) or len(call.args) > len(qwak_order):
            self.notes.append(
                Note(
                    call.lineno,
                    f"{name}(...) is left as it is: its positional arguments cannot be placed (frogml takes them "
                    "in another order than Qwak did); write them as keywords",
                )
            )
            return
        for index in range(len(call.args)):
            if index > 0 and qwak_order[index] != frogml_order[index]:
                after_comma = self._after(",", self._span(call.args[index - 1])[1])
                self._edit((after_comma, after_comma), f"{qwak_order[index]}=")

    def _after(self, text: str, position: int) -> int:
        """Where the first token after the first ``text`` token at or after ``position`` starts."""
        index = bisect.bisect_left(self.tokens, position, key=lambda token: token[0])
        while self.tokens[index][3] != text:
            index += 1
        return self.tokens[index + 1][0]

    def _is_automations_module(self, node: ast.expr) -> bool:
        dotted = _dotted(node)
        return dotted is not None and (
            dotted in self.module_aliases
            or dotted in _SPEC_MODULES
            or (self.qwak_root and dotted in _QWAK_SPEC_MODULES)
        )


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _bound_names(node: ast.AST) -> Iterable[ast.expr]:
    if isinstance(node, ast.Assign):
        return node.targets
    if isinstance(node, ast.AnnAssign | ast.AugAssign | ast.For):
        return [node.target]
    return []


def unified_diff(old: bytes, new: bytes, file: Path) -> bytes:
    """``diff -u`` of one file's bytes: ``a/``, ``b/`` paths from the working folder (``git apply``,
    ``patch -p1``) when the file is under it, else the absolute path (``patch -p0``).

    Bytes, split at ``\n`` only, as git and patch read a file: a byte order mark, a Latin-1 file, a
    file with CR-only line ends or a U+2028 inside a line is patched as it is on disk (text split by
    ``str.splitlines`` and written as UTF-8 matched none of them)."""
    if file.is_relative_to(Path.cwd()):
        relative = file.relative_to(Path.cwd()).as_posix()
        names = (f"a/{relative}", f"b/{relative}")
    else:
        names = (str(file), str(file))
    lines = []
    before, after = (name.encode() for name in names)
    for line in difflib.diff_bytes(difflib.unified_diff, _lines(old), _lines(new), before, after):
        lines.append(line if line.endswith(b"\n") else line + b"\n\\ No newline at end of file\n")
    return b"".join(lines)


def _lines(data: bytes) -> list[bytes]:
    return [line for line in re.split(rb"(?<=\n)", data) if line]


def _read(path: Path) -> tuple[bytes, str, str]:
    """The file's bytes, its text and its encoding (the text has no byte order mark; ``utf-8-sig``
    puts it back when encoding)."""
    data = path.read_bytes()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    return data, data.decode(encoding), encoding


def _outside(file: Path, root: Path) -> Path | None:
    """Where a symlink ``file`` leads when that is outside ``root`` (None: not a link, or inside)."""
    if not file.is_symlink():
        return None
    target = file.resolve()
    return None if target.is_relative_to(root) else target


def _write(file: Path, data: bytes) -> None:
    """Into the file itself, never through a symlink (one swapped in since it was checked included)."""
    handle = os.open(file, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(handle, "wb") as out:
        out.write(data)


def upgrade(path: Path, *, write: bool) -> int:
    """The command: the diff on stdout (a patch as it stands), what it did on stderr.

    All or nothing: a file that cannot be read or parsed, and nothing is written.
    """
    from frogml_airflow_provider.dags.loading import discover
    from frogml_airflow_provider.term import tag

    if not path.exists():
        print(f"{path}: no such file or folder", file=sys.stderr)
        return 2
    changed: list[tuple[Path, bytes]] = []
    errors: list[str] = []
    notes: list[str] = []
    root = path.resolve()
    files = discover(root)
    for file in files:
        shown = str(path / file.relative_to(root)) if path.is_dir() else str(path)
        if path.is_dir() and file.is_symlink():
            target = _outside(file, root)
            if target is not None:
                errors.append(
                    f"{shown}: a symlink to {target}, outside {path}; upgrade that file where it is, or put "
                    "the file itself here instead of the link"
                )
            continue  # a link inside the folder: its target is upgraded as a file of its own
        try:
            data, old, encoding = _read(file)
            result = upgrade_source(old)
        except SyntaxError as error:
            errors.append(f"{shown}:{error.lineno}: syntax error: {error.msg}; fix it, then upgrade again")
            continue
        except (OSError, UnicodeDecodeError) as error:
            errors.append(f"{shown}: cannot be read: {error}")
            continue
        except UpgradeError as error:
            errors.append(f"{shown}: not upgraded, {error}; change the file by hand and report this case")
            continue
        notes.extend(f"{shown}:{note.line}: {note.message}" for note in result.notes)
        if result.source != old:
            new = result.source.encode(encoding)
            sys.stdout.flush()
            sys.stdout.buffer.write(unified_diff(data, new, file))
            sys.stdout.buffer.flush()
            changed.append((file, new))
    for note in notes:
        print(f"{tag('warning', sys.stderr, 7)} {note}", file=sys.stderr)
    for problem in errors:
        print(f"{tag('error', sys.stderr, 7)} {problem}", file=sys.stderr)
    if errors:
        print("nothing written: fix the above and upgrade again", file=sys.stderr)
        return 1
    left = len(files) - len(changed)
    if not changed:
        print(f"nothing to upgrade: {left} file(s) already on the frogml names", file=sys.stderr)
    elif write:
        for file, new in changed:
            _write(file, new)
        print(f"{len(changed)} file(s) upgraded, {left} already on the frogml names", file=sys.stderr)
    else:
        print(
            f"{len(changed)} file(s) to upgrade, {left} already on the frogml names; "
            "run again with --write to apply the diff above",
            file=sys.stderr,
        )
    return 0
