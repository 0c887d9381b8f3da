"""The small rules the spec models validate with, each named after what it checks.

A ``Checker`` walks one object and its children, collecting every problem with its field path,
so that one pass reports everything that is wrong.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any, cast

from frogml_airflow_provider.automations._cron import cron_problem
from frogml_airflow_provider.automations._names import TEXT_LIMIT, Rule, relative_path_problem, too_long
from frogml_airflow_provider.errors import HIDDEN, Problem

MEMORY_UNITS = ("Gi", "GiB", "Mi", "MiB")
MAX_MEMORY_GIB = 4096  # 4 TiB: three times the largest JFrog ML instance (1360 GiB, NVIDIA_A100_80GB_8_96_1360)
MAX_CPUS = 1024  # the largest instance has 96
MAX_WHOLE = 2**31 - 1  # whole numbers travel as int32 on the wire
_MEMORY = re.compile(r"^(\d+)\s*([a-zA-Z]*)$")
_ENV_VAR = re.compile(r"^[^=\s]+=.*$", re.DOTALL)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_SQL_START = re.compile(r"^\s*\(?\s*(select|with)\b", re.IGNORECASE)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*)://([^/@\s]+)@", re.IGNORECASE)


URL_LIMIT = 4096
VALUE_LIMIT = 16_384  # one header value, parameter, env var or tag: a long token fits
ITEMS_LIMIT = 1000  # entries of one list or dict
SQL_LIMIT = 100_000  # a SQL query, a description
_PLACEHOLDER_FIX = "write the real value (or the real arguments) in its place"


class _Shown:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


_PLACEHOLDER = _Shown("...")


class _Cut(_Shown):
    """A value too long to show: its start and its length, never the whole of it."""

    def __init__(self, value: Any) -> None:
        text = repr(value)
        super().__init__(f"{text[:40]}... ({len(value):,} long)" if len(text) > 60 else text)


_THRESHOLD_FIX = "give a number as a string ('0.65') or a SQL query returning one value ('SELECT ...')"
_GIT_URI_FIX = (
    "give the model's git repository, e.g. 'https://github.com/org/repo.git#models/churn' "
    "(the local platform also takes a path or a file:// URI)"
)


def has_credentials(uri: str) -> bool:
    """A password (``user:secret@``), or any user part on http(s), where it is a token.
    ``ssh://git@host/...`` is only the SSH user name."""
    match = _USERINFO.match(uri)
    if match is None:
        return False
    return ":" in match.group(2) or match.group(1).lower() in ("http", "https")


def uri_credentials(uri: str) -> str:
    """The credentials inside ``uri`` (``user:token``), "" when it has none (``has_credentials``)."""
    match = _USERINFO.match(uri) if isinstance(uri, str) and has_credentials(uri) else None
    return match.group(2) if match else ""


def masked_uri(uri: str) -> str:
    """``uri`` as every command shows it: credentials inside it (``has_credentials``) replaced by
    ``<hidden>`` (``https://<hidden>@github.com/acme/models.git``), the rest kept."""
    if not isinstance(uri, str) or not has_credentials(uri):
        return uri
    match = _USERINFO.match(uri)
    assert match is not None  # has_credentials matched it
    return f"{match.group(1)}://{HIDDEN}@{uri[match.end() :]}"


def memory_problem(value: str) -> str | None:
    match = _MEMORY.match(value.strip())
    if not match:
        return "is not a memory size"
    unit = match.group(2)
    if unit and unit.lower() not in {u.lower() for u in MEMORY_UNITS}:
        return f"has unknown unit {unit!r}"
    digits = match.group(1).lstrip("0")
    mebibytes = int(digits or "0") * (1024 if unit.lower().startswith("g") else 1)  # a bare number is MiB
    if len(digits) > 12 or mebibytes > MAX_MEMORY_GIB * 1024:
        return f"is more than the {MAX_MEMORY_GIB}Gi (4 TiB) any machine here has"
    return None


_NOT_FINITE = re.compile(r"^\s*[-+]?(nan|inf|infinity)\s*$", re.IGNORECASE)


def threshold_problem(value: str) -> str | None:
    if _NUMBER.match(value):
        return None if math.isfinite(float(value)) else "is not a finite number (it overflows to infinity)"
    if _NOT_FINITE.match(value):
        return "is not a finite number"
    if _SQL_START.match(value):
        return None
    return "is neither a number nor a SQL query"


def is_sql(threshold: str) -> bool:
    return not _NUMBER.match(threshold)


class Checker:
    """Collects problems for one object; ``child`` descends into a nested spec object."""

    def __init__(self, path: str = "", problems: list[Problem] | None = None) -> None:
        self.path = path
        self.problems: list[Problem] = [] if problems is None else problems

    def path_of(self, name: str) -> str:
        if not self.path:
            return name
        return f"{self.path}{name}" if name.startswith("[") else f"{self.path}.{name}"

    def sub(self, name: str) -> Checker:
        """A checker for the object under ``name`` that reports into the same list."""
        return Checker(self.path_of(name), self.problems)

    def add(self, name: str, value: Any, problem: str, fix: str, *, secret: bool = False) -> None:
        if value is Ellipsis:  # whatever was expected here, '...' is the docs' placeholder
            value, problem, fix = _PLACEHOLDER, "is '...', a placeholder copied from the docs", _PLACEHOLDER_FIX
        self.problems.append(Problem(self.path_of(name), value, problem, fix, secret))

    # -- nested objects -------------------------------------------------------------------
    def child(self, name: str, value: Any, kinds: tuple[type, ...], *, required: bool = True) -> None:
        if isinstance(value, kinds) and value is not None:
            check: Callable[[Checker], None] = getattr(value, "_check")  # noqa: B009 - spec models only
            check(self.sub(name))
            return
        allowed = " or ".join(f"{k.__name__}(...)" for k in kinds)
        if value is None or value == "":
            if required:
                self.add(name, value, "is required", f"give {allowed}")
            return
        self.add(name, value, f"is of type {type(value).__name__}", f"give {allowed}")

    # -- scalars --------------------------------------------------------------------------
    def text(
        self,
        name: str,
        value: Any,
        *,
        required: bool = True,
        secret: bool = False,
        fix: str = "",
        limit: int = TEXT_LIMIT,
    ) -> bool:
        """A string of at most ``limit`` characters; when required, a non-blank one.
        True when the value is a usable string."""
        if value is None:
            if required:
                self.add(name, value, "is required", fix or "give a value", secret=secret)
            return False
        if not isinstance(value, str):
            self.add(
                name, value, f"is of type {type(value).__name__}, not a string", "write it in quotes", secret=secret
            )
            return False
        if required and not value.strip():
            self.add(name, value, "is empty", "give a value", secret=secret)
            return False
        if len(value) > limit:
            self.add(name, _Cut(value), *too_long(len(value), limit), secret=secret)
            return False
        return bool(value.strip())

    def repo_path(self, name: str, value: Any, *, required: bool = True) -> None:
        """A path inside the model's repository: relative, never climbing out with '..'."""
        if not self.text(name, value, required=required) or not isinstance(value, str):
            return
        problem = relative_path_problem(value)
        if problem:
            self.add(name, value, problem, "write it relative to the repository root, e.g. 'main'")

    def identifier(self, name: str, value: Any, rule: Rule, *, required: bool = True) -> None:
        """A name JFrog ML keeps as an identifier (``model_id``, ``variation_name``...): ``rule`` says which."""
        if not self.text(name, value, required=required, fix=rule.fix, limit=rule.limit) or not isinstance(value, str):
            return
        problem = rule.problem(value)
        if problem:
            self.add(name, value, problem, rule.fix)

    def choice(
        self, name: str, value: Any, allowed: tuple[str, ...], *, required: bool = True, exact_case: bool = False
    ) -> None:
        fix = f"use one of {', '.join(allowed)}"
        if not self.text(name, value, required=required, fix=fix) or not isinstance(value, str):
            return
        known = allowed if exact_case else tuple(a.lower() for a in allowed)
        if (value if exact_case else value.lower()) not in known:
            self.add(name, value, "is not allowed" + (" (labels are upper case)" if exact_case else ""), fix)

    def number(
        self,
        name: str,
        value: Any,
        *,
        minimum: float = 0,
        above: bool = False,
        whole: bool = False,
        required: bool = True,
        maximum: float | None = None,
    ) -> None:
        if value is None and not required:
            return
        kinds: tuple[type, ...] = (int,) if whole else (int, float)
        kind_name = "a whole number" if whole else "a number"
        top = MAX_WHOLE if maximum is None and whole else maximum
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.add(name, value, f"is not {kind_name}", f"give {kind_name}")
            return
        number = cast("int | float", value)  # an int may be too large for float(): compare it as it is
        if isinstance(number, float) and not math.isfinite(number):
            self.add(name, value, "is not a finite number", f"give {kind_name}, e.g. 2")
        elif number < minimum or (above and number == minimum) or (top is not None and number > top):
            low = f"above {minimum:g}" if above else f"at least {minimum:g}"
            bound = f"{low} and at most {top:.0f}" if top is not None else low
            self.add(name, value, "is out of range", f"give {kind_name} {bound}")

    def flag(self, name: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.add(name, value, "is not True or False", "give True or False")

    def memory(self, name: str, value: Any) -> None:
        if not self.text(name, value):
            return
        problem = memory_problem(value)
        if problem and problem.startswith("is more than"):
            self.add(name, value, problem, f"give at most {MAX_MEMORY_GIB}Gi")
        elif problem:
            self.add(
                name, value, problem, "write '<whole number><unit>' with unit Gi, GiB, Mi or MiB, e.g. '2Gi' or '512Mi'"
            )

    def cron(self, name: str, value: Any) -> None:
        if not self.text(name, value):
            return
        problem = cron_problem(value)
        if problem:
            self.add(
                name,
                value,
                f"is not a valid cron expression: {problem}",
                "write five fields in UTC, e.g. '0 0 * * 0' (Sundays at midnight)",
            )

    def threshold(self, name: str, value: Any) -> None:
        if isinstance(value, float) and not math.isfinite(value):
            self.add(name, value, "is not a finite number", _THRESHOLD_FIX)
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.add(
                name, value, "is a number, but thresholds are strings", f"write it in quotes: {name}={str(value)!r}"
            )
            return
        if not self.text(name, value, fix=_THRESHOLD_FIX, limit=SQL_LIMIT):
            return
        problem = threshold_problem(value)
        if problem:
            self.add(name, value, problem, _THRESHOLD_FIX)

    def str_list(self, name: str, value: Any, *, env_vars: bool = False) -> None:
        if isinstance(value, dict):
            fix = "write a list of 'KEY=VALUE' strings" if env_vars else "write a list of strings"
            self.add(name, value, "is a dict (only its keys would be used)", fix)
            return
        if not isinstance(value, (list, tuple)):
            self.add(name, value, f"is of type {type(value).__name__}, not a list", "write a list of strings")
            return
        if len(value) > ITEMS_LIMIT:
            self.add(name, _Cut(value), f"has {len(value)} items", f"give at most {ITEMS_LIMIT}")
            return
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(f"{name}[{i}]", item, "is not a string", "write it in quotes")
            elif len(item) > VALUE_LIMIT:
                self.add(f"{name}[{i}]", _Cut(item), *too_long(len(item), VALUE_LIMIT))
            elif env_vars and not _ENV_VAR.match(item):
                self.add(f"{name}[{i}]", item, "is not KEY=VALUE", "write it as 'NAME=value', e.g. 'LOG_LEVEL=info'")

    def str_dict(self, name: str, value: Any, *, secret_values: bool = False) -> None:
        if not isinstance(value, dict):
            self.add(
                name,
                value,
                f"is of type {type(value).__name__}, not a dict",
                "write a dict of strings to strings",
                secret=secret_values,
            )
            return
        if len(value) > ITEMS_LIMIT:
            many = f"has {len(value)} entries"
            self.add(name, _Cut(value), many, f"give at most {ITEMS_LIMIT}", secret=secret_values)
            return
        for key, item in value.items():
            if not isinstance(key, str):
                self.add(f"{name}[{key!r}]", key, "has a key that is not a string", "write the key in quotes")
            elif len(key) > TEXT_LIMIT or (isinstance(item, str) and len(item) > VALUE_LIMIT):
                where = f"{name}[{key[:40]!r}]"
                size, limit = (len(key), TEXT_LIMIT) if len(key) > TEXT_LIMIT else (len(item), VALUE_LIMIT)
                self.add(where, _Cut(item), *too_long(size, limit), secret=secret_values)
            elif not isinstance(item, str):
                self.add(
                    f"{name}[{key!r}]",
                    item,
                    f"is of type {type(item).__name__}, not a string",
                    "write the value in quotes (JFrog ML sends strings only)",
                    secret=secret_values,
                )

    def url(self, name: str, value: Any, *, secret: bool = False) -> None:
        if not self.text(name, value, secret=secret, limit=URL_LIMIT):
            return
        if not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
            self.add(name, value, "is not an http(s) URL", "give a URL such as 'https://host/path'", secret=secret)

    def git_uri(self, name: str, value: Any) -> None:
        if not self.text(name, value, fix=_GIT_URI_FIX, limit=URL_LIMIT):
            return
        shown = masked_uri(value)
        if has_credentials(value):
            self.add(
                name,
                shown,
                "carries credentials inside the URL",
                "remove them and name the secret that holds the token in git_access_token_secret",
            )
        _, hash_, subdir = value.partition("#")
        if hash_ and (not subdir.strip("/") or any(part in {".", ".."} for part in subdir.split("/"))):
            self.add(
                name,
                shown,
                f"has an invalid sub-directory {subdir!r} after '#'",
                "write 'repository#dir_1/dir_2' with plain directory names",
            )
