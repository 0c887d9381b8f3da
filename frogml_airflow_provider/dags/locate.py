"""Turn an exception raised while importing an automation file into an error a person can act on.

It names the file and line; when the failing call sits inside an ``Automation(...)`` call it also
names the automation and gives the full field path (``action.build_spec.resources.memory``),
read from the file's syntax tree. The tree is parsed only when something failed.
"""

from __future__ import annotations

import ast
import builtins
import dataclasses
import re
import traceback
import types
from pathlib import Path

from frogml_airflow_provider import automations
from frogml_airflow_provider.automations import qwak
from frogml_airflow_provider.dags.budget import FileTimeout
from frogml_airflow_provider.dags.shim import closest_name
from frogml_airflow_provider.errors import AutomationLoadError, AutomationSpecError

TIMEOUT_OPTION = "[frogml] automation_file_timeout"


def describe_failures(path: Path, shown: str, error: BaseException) -> list[AutomationLoadError]:
    """The error that stopped ``path`` (named ``shown``), then the problems its source shows beyond it.

    A keyword that its spec class does not take stops the file at the first one; the others are
    found in the syntax tree, each with its line, so that they are fixed in one pass, not one a run.
    """
    first = describe_failure(path, shown, error)
    stopped = _stopped_at(path, error)
    return [
        first,
        *(
            AutomationLoadError(shown, message, line=line)
            for line, key, message in _unknown_keywords(path)
            if key != stopped
        ),
    ]


def describe_failure(path: Path, shown: str, error: BaseException) -> AutomationLoadError:
    """The error of ``path`` (named ``shown`` to the user)."""
    if isinstance(error, SyntaxError) and error.filename and Path(error.filename).resolve() == path:
        return AutomationLoadError(shown, f"syntax error: {error.msg}", line=error.lineno)
    frame = _innermost_frame_in(path, error)
    line = frame.lineno if frame else None
    if isinstance(error, FileTimeout):
        return AutomationLoadError(shown, _timed_out(path, error, frame), line=line)
    automation, prefix, call = _failing_call(path, frame) if frame else (None, "", None)
    if isinstance(error, AutomationSpecError):
        placed = error.placed(prefix=prefix, automation=automation)
        return AutomationLoadError(shown, str(placed), line=line)
    about = f"automation {automation!r}: " if automation else ""
    unknown = _unknown_keyword(error)
    if unknown is not None and call is not None and _spec_class(unknown[0]) is not None:
        field = f"{prefix}.{unknown[1]}" if prefix else unknown[1]
        return AutomationLoadError(shown, f"{about}{field}: {_keyword_message(*unknown)}", line=line)
    origin = "" if frame is not None else " (raised while importing it)"
    said = f": {error}" if str(error) else ""
    if isinstance(error, NameError) and not isinstance(error, UnboundLocalError):
        said += _name_hint(path, error)
    placeholder = ""
    if call is not None and _has_placeholder(call):
        placeholder = (
            f". {_callee(call)}(...) still holds the placeholder '...' copied from the docs: "
            "write its real arguments in its place"
        )
    return AutomationLoadError(shown, f"{about}{type(error).__name__}{said}{origin}{placeholder}", line=line)


def _name_hint(path: Path, error: NameError) -> str:
    """What a name the file used but never defined was meant to be, as for an import of it: the
    closest name the file's own globals (its ``import *`` included) and the builtins have, or the
    frogml name of a Qwak-era one."""
    name = getattr(error, "name", None)
    if not isinstance(name, str):
        return ""
    if name in qwak.RENAMED:
        new = qwak.RENAMED[name]
        return (
            f": {name} is the Qwak-era name, frogml calls it {new}. Use {new} in its place "
            "(frogml-airflow upgrade FILE rewrites the file)"
        )
    frame = _innermost_tb_frame(path, error)
    known = {*dir(builtins), *(frame.f_globals if frame is not None else {})}
    close = closest_name(name, (candidate for candidate in known if not candidate.startswith("__")))
    return f": did you mean {close!r}?" if close else ""


def _innermost_tb_frame(path: Path, error: BaseException) -> types.FrameType | None:
    found = None
    tb = error.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve() == path:
            found = tb.tb_frame
        tb = tb.tb_next
    return found


_UNEXPECTED_KEYWORD = re.compile(r"^(\w+)(?:\.__init__)?\(\) got an unexpected keyword argument '(\w+)'$")


def _unknown_keyword(error: BaseException) -> tuple[str, str] | None:
    """(class, keyword) of ``Cls.__init__() got an unexpected keyword argument 'kw'``."""
    found = _UNEXPECTED_KEYWORD.match(str(error)) if isinstance(error, TypeError) else None
    return (found.group(1), found.group(2)) if found else None


def _spec_class(name: str) -> type | None:
    """The spec class a file calls ``name`` (frogml or Qwak-era), when it is one."""
    cls = getattr(automations, qwak.frogml_name(name), None)
    return cls if isinstance(cls, type) and dataclasses.is_dataclass(cls) else None


def _keywords(cls: type) -> list[str]:
    return [field.name for field in dataclasses.fields(cls) if field.init]


def _keyword_message(class_name: str, keyword: str) -> str:
    cls = _spec_class(class_name)
    valid = _keywords(cls) if cls is not None else []
    close = closest_name(keyword, valid)
    hint = f"did you mean {close!r}? " if close else ""
    takes = f"its keywords are {', '.join(valid)}" if valid else f"write {class_name}() without arguments"
    return f"{class_name}() takes no keyword {keyword!r}: {hint}{takes}"


def _stopped_at(path: Path, error: BaseException) -> tuple[int, int, str] | None:
    """(line, column, keyword) of the unknown keyword that stopped the file, to report it once."""
    unknown = _unknown_keyword(error)
    frame = _innermost_frame_in(path, error)
    if unknown is None or frame is None:
        return None
    _, _, call = _failing_call(path, frame)
    for keyword in call.keywords if call is not None else []:
        if keyword.arg == unknown[1]:
            return keyword.lineno, keyword.col_offset, keyword.arg
    return None


def _unknown_keywords(path: Path) -> list[tuple[int, tuple[int, int, str], str]]:
    """(line, where, message) of every keyword a spec class call in ``path`` does not take."""
    parsed = _parsed(path)
    if parsed is None:
        return []
    tree, parents = parsed
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (name := _callee(node)) is None or (cls := _spec_class(name)) is None:
            continue
        valid = set(_keywords(cls))
        for keyword in node.keywords:
            if keyword.arg is None or keyword.arg in valid:
                continue
            automation, prefix = _context(node, parents)
            about = f"automation {automation!r}: " if automation else ""
            field = f"{prefix}.{keyword.arg}" if prefix else keyword.arg
            where = (keyword.lineno, keyword.col_offset, keyword.arg)
            found.append((keyword.lineno, where, f"{about}{field}: {_keyword_message(name, keyword.arg)}"))
    return sorted(found, key=lambda item: item[1])


def _has_placeholder(call: ast.Call) -> bool:
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    return any(isinstance(value, ast.Constant) and value.value is Ellipsis for value in values)


def _timed_out(path: Path, error: FileTimeout, frame: traceback.FrameSummary | None) -> str:
    """Where the file was when its time ran out: its own line, and the call it was waiting in."""
    stuck = ""
    if frame is not None:
        stuck = f"; it was at line {frame.lineno}" + (f": {frame.line.strip()}" if frame.line else "")
        frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() != _BUDGET_FILE]
        deepest = frames[-1] if frames else frame
        if deepest is not frame and Path(deepest.filename).resolve() != path:
            where = Path(deepest.filename).resolve()
            shown_where = where.relative_to(path.parent) if where.is_relative_to(path.parent) else where
            stuck += f" (waiting in {deepest.name}() at {shown_where}:{deepest.lineno})"
    return (
        f"the file took longer than {error.seconds:g} s to import and was stopped{stuck}. Move slow work "
        f"(network calls, training, sleeps) out of the file, or raise {TIMEOUT_OPTION}"
    )


_BUDGET_FILE = Path(__file__).resolve().with_name("budget.py")


def _innermost_frame_in(path: Path, error: BaseException) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path]
    return frames[-1] if frames else None


def _enclosing_automation(path: Path, frame: traceback.FrameSummary) -> tuple[str | None, str]:
    """(automation name, field path of the failing call inside it), as far as the source tells."""
    name, prefix, _ = _failing_call(path, frame)
    return name, prefix


def _failing_call(path: Path, frame: traceback.FrameSummary) -> tuple[str | None, str, ast.Call | None]:
    """(automation name, field path, the failing call itself), as far as the source tells."""
    parsed = _parsed(path)
    if parsed is None:
        return None, "", None
    tree, parents = parsed
    target: ast.Call | None = None
    for candidate in ast.walk(tree):
        is_call = isinstance(candidate, ast.Call) and _spans(candidate, frame)
        if is_call and (target is None or _inside(candidate, target)):
            target = candidate  # type: ignore[assignment]
    if target is None:
        return None, "", None
    automation, prefix = _context(target, parents)
    return automation, prefix, target


def _parsed(path: Path) -> tuple[ast.Module, dict[ast.AST, ast.AST]] | None:
    """The file's syntax tree and each node's parent; None when it cannot be read or parsed."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    return tree, parents


def _context(target: ast.Call, parents: dict[ast.AST, ast.AST]) -> tuple[str | None, str]:
    """(the enclosing automation's name, the field path from it to ``target``), as the source tells."""
    segments: list[str] = []
    node: ast.AST = target
    while True:
        if isinstance(node, ast.Call) and _callee(node) == "Automation":
            return _literal_name(node), ".".join(reversed(segments)).replace(".[", "[")
        parent = parents.get(node)
        if parent is None:
            return None, ""
        if isinstance(parent, ast.keyword) and parent.arg:
            segments.append(parent.arg)
        elif isinstance(parent, ast.Call) and node in parent.args:
            segments.append(_positional_field(parent, parent.args.index(node)))  # type: ignore[arg-type]
        elif isinstance(parent, (ast.List, ast.Tuple)):
            segments.append(f"[{parent.elts.index(node)}]")  # type: ignore[arg-type]
        node = parent


def _spans(node: ast.Call, frame: traceback.FrameSummary) -> bool:
    if frame.colno is None or frame.end_colno is None:
        return node.lineno == frame.lineno
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset) == (
        frame.lineno,
        frame.colno,
        frame.end_lineno,
        frame.end_colno,
    )


def _inside(node: ast.AST, other: ast.AST) -> bool:
    return any(child is node for child in ast.walk(other))


def _callee(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _positional_field(call: ast.Call, index: int) -> str:
    cls = getattr(automations, _callee(call) or "", None)
    if dataclasses.is_dataclass(cls):
        fields = dataclasses.fields(cls)
        if index < len(fields):
            return fields[index].name
    return f"<argument {index + 1}>"


def _literal_name(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
            return keyword.value.value
    if len(call.args) > 1 and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str):
        return call.args[1].value  # Automation(id, name, ...)
    return None


def describe_empty(path: Path, shown: str) -> AutomationLoadError:
    """The warning for a file that ran but defines no automation (often a snippet pasted from the docs)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        tree = ast.Module(body=[], type_ignores=[])
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _callee(node.value) == "Automation":
            return AutomationLoadError(
                shown,
                "builds an Automation(...) but does not assign it to a name, so it is not loaded; "
                "write it as `my_automation = Automation(...)`",
                line=node.lineno,
            )
    return AutomationLoadError(
        shown,
        "defines no automation: nothing at its top level is an Automation(...) assigned to a name. "
        "If it is a snippet from the docs, complete it into `my_automation = Automation(...)`; "
        "if it is a helper, import it from an automation file",
    )
