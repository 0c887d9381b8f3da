"""Automations -> files in JFrog ML's own forms, for ``frogml-airflow export``. Pure.

``json``: ``<automation name>.json`` holds the protobuf-JSON of the automation's ``AutomationSpec``
(``native.automation_spec``), what the frogml SDK sends when it registers the automation.

``python``: ``<automation name>.py`` is an automation file for the real SDK: it imports from
``frogml.core.automations`` and builds the same ``Automation``, so ``frogml automations register
-p DIR`` registers exactly that spec. Only the fields that differ from the SDK's defaults are
written (the SDK's defaults are this provider's). The description is kept, although the SDK
never sends it.

Secrets. A Slack webhook URL, a custom webhook's URL and its header values (all but those of
``Content-Type``, ``Accept`` and ``User-Agent``, written as they are) are credentials. By default
none is written; each is replaced by a reference to an environment variable named
``FROGML_SECRET_<AUTOMATION>_<ON_ERROR|ON_SUCCESS>_<WEBHOOK|URL|HEADERS_<NAME>>`` (upper case,
other characters as ``_``, a numeric suffix if two would clash):

- JSON: the value becomes ``"${FROGML_SECRET_...}"``. Substitute it before registering, for
  example ``envsubst '$FROGML_SECRET_A $FROGML_SECRET_B' < churn.json`` (name the variables:
  a bare ``envsubst`` would also rewrite other ``$`` text such as SQL).
- Python: the value becomes ``os.environ["FROGML_SECRET_..."]``, read when the file is loaded;
  a missing variable stops the load with ``KeyError`` naming it.

``include_secrets=True`` writes every secret as the user wrote it. Secret values are never part
of what this module reports (``ExportedFile.secrets`` holds paths and variable names only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from frogml_airflow_provider.automations import Automation, CustomWebhook, SlackNotification
from frogml_airflow_provider.dags.loading import LoadReport
from frogml_airflow_provider.errors import ExportError
from frogml_airflow_provider.export.native import SecretField, SecretRef, automation_spec, secret_fields

Format = Literal["json", "python"]
FORMATS: tuple[Format, ...] = ("json", "python")
_SUFFIX = {"json": "json", "python": "py"}
SECRET_PREFIX = "FROGML_SECRET_"
PACKAGE = "frogml.core.automations"
# Importable from the SDK's package only by their defining module (not exported by it).
_DEFINED_IN = {
    "DeployedBuildMetric": f"{PACKAGE}.build_and_deploy_action",
    "OnBoardingTrigger": f"{PACKAGE}.automations",
}
# Written even when equal to our default: there the SDK's default differs from ours (a crash,
# or an abstract class), so leaving them out would not give the same automation.
_ALWAYS_WRITTEN = frozenset({"trigger", "action", "data_specifications", "query_spec"})
_NOT_WRITTEN = frozenset({"create_audit"})  # the audit is the platform's, not part of the spec
_WIDTH = 100


@dataclass(frozen=True)
class ExportedSecret:
    path: str  # "on_error.webhook", "on_success.headers['Authorization']"
    variable: str | None  # the environment variable referenced instead; None when written as is


@dataclass(frozen=True)
class ExportedFile:
    automation: str
    source: str  # the automation file, relative to the exported folder
    name: str  # the file written, relative to the output folder
    text: str
    secrets: tuple[ExportedSecret, ...]


def export_files(report: LoadReport, fmt: Format, *, include_secrets: bool = False) -> list[ExportedFile]:
    """One file per automation of ``report``, in memory: nothing is written here."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    base = report.root if report.root.is_dir() else report.root.parent
    names = _SecretNames()
    files: list[ExportedFile] = []
    for item in report.automations:
        automation = item.automation
        variables = {} if include_secrets else names.assign(automation)
        source = os.path.relpath(item.file, base)
        if fmt == "json":
            spec = automation_spec(automation, secret=_json_reference(variables) if variables else None)
            text = json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
        else:
            text = python_source(automation, variables, source=source)
        secrets = tuple(ExportedSecret(field.path, variables.get(field)) for field, _ in secret_fields(automation))
        name = f"{file_stem(automation.name, fmt)}.{_SUFFIX[fmt]}"
        files.append(ExportedFile(automation.name, source, name, text, secrets))
    _refuse_clashes(files)
    return files


def write_files(files: list[ExportedFile], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for file in files:
        path = out / file.name
        path.write_text(file.text, encoding="utf-8")
        written.append(path)
    return written


# File systems cap a file name at 255 bytes (ext4, APFS, NTFS in UTF-16 units): an automation name of
# 128 characters is up to 512 bytes in UTF-8. Stems past this budget are cut, and made unique again.
MAX_STEM_BYTES = 200  # + ".json" stays far under 255, with room for an editor's swap-file suffix


def file_stem(name: str, fmt: Format) -> str:
    """The automation's name, made safe as a file name (no separators, no leading dot). A Python
    file may not be called ``setup.py``: ``frogml automations register`` skips that name.

    A name longer than ``MAX_STEM_BYTES`` in UTF-8 keeps its beginning, cut at a character, and
    ends with ``~`` and 10 hex digits of a digest of the whole name: readable, stable from run to
    run, and different for two names that begin alike."""
    stem = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]', "_", name).strip()
    if not stem or stem.startswith("."):
        stem = f"_{stem}"
    if fmt == "python" and stem.lower() == "setup":
        stem = f"{stem}_automation"
    if len(stem.encode("utf-8")) > MAX_STEM_BYTES:
        digest = hashlib.blake2b(name.encode("utf-8"), digest_size=5).hexdigest()
        head = stem.encode("utf-8")[: MAX_STEM_BYTES - len(digest) - 1].decode("utf-8", errors="ignore")
        stem = f"{head.rstrip()}~{digest}"
    return stem


def _refuse_clashes(files: list[ExportedFile]) -> None:
    seen: dict[str, ExportedFile] = {}
    problems = []
    for file in files:
        first = seen.setdefault(file.name.casefold(), file)
        if first is not file:
            problems.append(
                f"automations {first.automation!r} ({first.source}) and {file.automation!r} ({file.source}) would "
                f"both be written to {file.name} (file names ignore case on some systems); rename one of them"
            )
    if problems:
        raise ExportError("; ".join(problems))


# -- secrets ---------------------------------------------------------------------------------------
def _upper_snake(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()


class _SecretNames:
    """Environment variable names for secrets, unique across one export."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def assign(self, automation: Automation) -> dict[SecretField, str]:
        prefix = SECRET_PREFIX + (_upper_snake(automation.name) or "AUTOMATION")
        variables: dict[SecretField, str] = {}
        for field, _ in secret_fields(automation):
            parts = [field.slot, field.field, *([field.key] if field.key is not None else [])]
            name = "_".join([prefix, *(_upper_snake(part) or "X" for part in parts)])
            unique, count = name, 1
            while unique in self._taken:
                count += 1
                unique = f"{name}_{count}"
            self._taken.add(unique)
            variables[field] = unique
        return variables


def _json_reference(variables: dict[SecretField, str]) -> SecretRef:
    return lambda field, _value: f"${{{variables[field]}}}"


# -- Python source -----------------------------------------------------------------------------------
def python_source(
    automation: Automation,
    variables: dict[SecretField, str],
    *,
    source: str = "",
    origin: str = "exported by `frogml-airflow export`",
) -> str:
    """An automation file that builds ``automation`` with the real SDK's classes."""
    writer = _PythonWriter(variables)
    body = writer.render(automation, 0)
    lines = [f"# JFrog ML automation {automation.name!r}, {_one_line(origin)}"]
    if source:
        lines[0] += f" from {_one_line(source)}"
    lines.append("# Register it with `frogml automations register -p <this folder>`.")
    if variables:
        lines.append("# Its secrets are read from the environment when it is loaded:")
        lines.extend(f"#   {name}" for name in variables.values())
    lines.append("")
    if variables:
        lines.extend(["import os", ""])
    by_module: dict[str, list[str]] = {}
    for name in sorted(writer.classes):
        by_module.setdefault(_DEFINED_IN.get(name, PACKAGE), []).append(name)
    for module in sorted(by_module):
        lines.append(_render_import(module, by_module[module]))
    lines.extend(["", f"automation = {body}", ""])
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text


def _render_import(module: str, names: list[str]) -> str:
    single = f"from {module} import {', '.join(names)}"
    if len(single) <= _WIDTH:
        return single
    return f"from {module} import (\n" + "".join(f"    {name},\n" for name in names) + ")"


class _PythonWriter:
    def __init__(self, variables: dict[SecretField, str]) -> None:
        self.variables = variables
        self.classes: set[str] = set()

    def render(self, value: Any, depth: int, slot: str | None = None) -> str:
        if value is None or isinstance(value, bool | int | str):
            return _literal(value)
        if isinstance(value, float):
            return repr(value) if math.isfinite(value) else f'float("{value}")'
        if isinstance(value, Enum):
            self.classes.add(type(value).__name__)
            return f"{type(value).__name__}.{value.name}"
        if isinstance(value, list | tuple):
            return _group("[", [self.render(v, depth + 1) for v in value], "]", depth)
        if isinstance(value, dict):
            items = [f"{self.render(k, depth + 1)}: {self.render(v, depth + 1)}" for k, v in value.items()]
            return _group("{", items, "}", depth)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self._call(value, depth, slot)
        raise TypeError(f"cannot write {type(value).__name__} as Python")

    def _call(self, obj: Any, depth: int, slot: str | None) -> str:
        name = type(obj).__name__
        self.classes.add(name)
        arguments = []
        for field in dataclasses.fields(obj):
            value = getattr(obj, field.name)
            if field.name in _NOT_WRITTEN or (field.name not in _ALWAYS_WRITTEN and _is_default(field, value)):
                continue
            if isinstance(obj, Automation) and field.name in ("on_error", "on_success"):
                text = self.render(value, depth + 1, slot=field.name)
            elif slot and isinstance(obj, SlackNotification | CustomWebhook) and field.name in obj._secret_fields:
                text = self._secret(slot, field.name, value, depth + 1)
            else:
                text = self.render(value, depth + 1)
            arguments.append(f"{field.name}={text}")
        return _group(f"{name}(", arguments, ")", depth)

    def _secret(self, slot: str, name: str, value: Any, depth: int) -> str:
        if isinstance(value, dict):
            items = [
                f"{_literal(key)}: {self._secret_value(SecretField(slot, name, key), item)}"
                for key, item in value.items()
            ]
            return _group("{", items, "}", depth)
        return self._secret_value(SecretField(slot, name), value)

    def _secret_value(self, field: SecretField, value: Any) -> str:
        variable = self.variables.get(field)
        return f"os.environ[{_literal(variable)}]" if variable else _literal(value)


def _is_default(field: dataclasses.Field[Any], value: Any) -> bool:
    if field.default is not dataclasses.MISSING:
        default = field.default
    elif field.default_factory is not dataclasses.MISSING:
        default = field.default_factory()
    else:
        return False  # a required argument
    return type(value) is type(default) and value == default


def _literal(value: Any) -> str:
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)  # a JSON string is a valid Python string literal
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: keep it escaped
            text = json.dumps(value)
        return text
    return repr(value)


def _group(opening: str, items: list[str], closing: str, depth: int) -> str:
    """Items on one line when they fit, else one per line with a trailing comma."""
    inline = f"{opening}{', '.join(items)}{closing}"
    if "\n" not in inline and len(inline) + 4 * depth <= _WIDTH:
        return inline
    indent = "    " * (depth + 1)
    return opening + "\n" + "".join(f"{indent}{item},\n" for item in items) + "    " * depth + closing
