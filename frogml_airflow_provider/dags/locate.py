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
from frogml_airflow_provider.errors import AutomationLoadError, AutomationSpecError


def describe_failure(path: Path, shown: str, error: BaseException) -> AutomationLoadError:
    """The error of ``path`` (named ``shown`` to the user)."""
    if isinstance(error, SyntaxError) and error.filename and Path(error.filename).resolve() == path:
        return AutomationLoadError(shown, f"syntax error: {error.msg}", line=error.lineno)
    frame = _innermost_frame_in(path, error)
    line = frame.lineno if frame else None
    automation, prefix = _enclosing_automation(path, frame) if frame else (None, "")
    if isinstance(error, AutomationSpecError):
        placed = error.placed(prefix=prefix, automation=automation)
        return AutomationLoadError(shown, str(placed), line=line)
    about = f"automation {automation!r}: " if automation else ""
    origin = "" if frame is not None else " (raised while importing it)"
    return AutomationLoadError(shown, f"{about}{type(error).__name__}: {error}{origin}", line=line)


def _innermost_frame_in(path: Path, error: BaseException) -> traceback.FrameSummary | None:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).resolve() == path]
    return frames[-1] if frames else None


def _enclosing_automation(path: Path, frame: traceback.FrameSummary) -> tuple[str | None, str]:
    """(automation name, field path of the failing call inside it), as far as the source tells."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None, ""
    parents: dict[ast.AST, ast.AST] = {}
    target: ast.Call | None = None
    for candidate in ast.walk(tree):
        for child in ast.iter_child_nodes(candidate):
            parents[child] = candidate
        is_call = isinstance(candidate, ast.Call) and _spans(candidate, frame)
        if is_call and (target is None or _inside(candidate, target)):
            target = candidate  # type: ignore[assignment]
    if target is None:
        return None, ""
    segments: list[str] = []
    node = target
    while True:
        if isinstance(node, ast.Call) and _callee(node) == "Automation":
            return _literal_name(node), ".".join(reversed(segments)).replace(".[", "[")
        parent = parents.get(node)
        if parent is None:
            return None, ""
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
