"""Turn an exception raised while importing an automation file into an error a person can act on.

It names the file and line; when the failing call sits inside an ``Automation(...)`` call it also
names the automation and gives the full field path (``action.build_spec.resources.memory``),
read from the file's syntax tree. The tree is parsed only when something failed.
"""

from __future__ import annotations

import ast
import dataclasses
import traceback
from pathlib import Path

from frogml_airflow_provider import automations
from frogml_airflow_provider.dags.budget import FileTimeout
from frogml_airflow_provider.errors import AutomationLoadError, AutomationSpecError

TIMEOUT_OPTION = "[frogml] automation_file_timeout"


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
    origin = "" if frame is not None else " (raised while importing it)"
    said = f": {error}" if str(error) else ""
    placeholder = ""
    if call is not None and _has_placeholder(call):
        placeholder = (
            f". {_callee(call)}(...) still holds the placeholder '...' copied from the docs: "
            "write its real arguments in its place"
        )
    return AutomationLoadError(shown, f"{about}{type(error).__name__}{said}{origin}{placeholder}", line=line)


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
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None, "", None
    parents: dict[ast.AST, ast.AST] = {}
    target: ast.Call | None = None
    for candidate in ast.walk(tree):
        for child in ast.iter_child_nodes(candidate):
            parents[child] = candidate
        is_call = isinstance(candidate, ast.Call) and _spans(candidate, frame)
        if is_call and (target is None or _inside(candidate, target)):
            target = candidate  # type: ignore[assignment]
    if target is None:
        return None, "", None
    segments: list[str] = []
    node = target
    while True:
        if isinstance(node, ast.Call) and _callee(node) == "Automation":
            return _literal_name(node), ".".join(reversed(segments)).replace(".[", "["), target
        parent = parents.get(node)
        if parent is None:
            return None, "", target
        if isinstance(parent, ast.keyword) and parent.arg:
            segments.append(parent.arg)
        elif isinstance(parent, ast.Call) and node in parent.args:
            segments.append(_positional_field(parent, parent.args.index(node)))
        elif isinstance(parent, (ast.List, ast.Tuple)):
            segments.append(f"[{parent.elts.index(node)}]")  # type: ignore[arg-type]
        node = parent  # type: ignore[assignment]


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
