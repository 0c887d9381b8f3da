"""The small rules the spec models validate with, each named after what it checks.

A ``Checker`` walks one object and its children, collecting every problem with its field path,
so that one pass reports everything that is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, cast

from frogml_airflow_provider.automations._cron import cron_problem
from frogml_airflow_provider.errors import Problem

MEMORY_UNITS = ("Gi", "GiB", "Mi", "MiB")
_MEMORY = re.compile(r"^(\d+)\s*([a-zA-Z]*)$")
_ENV_VAR = re.compile(r"^[^=\s]+=.*$", re.DOTALL)
_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")
_SQL_START = re.compile(r"^\s*\(?\s*(select|with)\b", re.IGNORECASE)
_USERINFO = re.compile(r"^([a-z][a-z0-9+.-]*)://([^/@\s]+)@", re.IGNORECASE)


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


def memory_problem(value: str) -> str | None:
    match = _MEMORY.match(value.strip())
    if not match:
        return "is not a memory size"
    unit = match.group(2)
    if unit and unit.lower() not in {u.lower() for u in MEMORY_UNITS}:
        return f"has unknown unit {unit!r}"
    return None


def threshold_problem(value: str) -> str | None:
    if _NUMBER.match(value) or _SQL_START.match(value):
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
        self.problems.append(Problem(self.path_of(name), value, problem, fix, secret))

    # -- nested objects -------------------------------------------------------------------
    def child(self, name: str, value: Any, kinds: tuple[type, ...], *, required: bool = True) -> None:
        allowed = " or ".join(f"{k.__name__}(...)" for k in kinds)
        if value is None or (value == "" and not isinstance(value, kinds)):
            if required:
                self.add(name, value, "is required", f"give {allowed}")
            return
        if not isinstance(value, kinds):
            self.add(name, value, f"is of type {type(value).__name__}", f"give {allowed}")
            return
        check: Callable[[Checker], None] = getattr(value, "_check")  # noqa: B009 - spec models only
        check(self.sub(name))

    # -- scalars --------------------------------------------------------------------------
    def text(self, name: str, value: Any, *, required: bool = True, secret: bool = False, fix: str = "") -> bool:
        """A string; when required, a non-blank one. True when the value is a usable string."""
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
        return bool(value.strip())

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
    ) -> None:
        if value is None and not required:
            return
        kinds: tuple[type, ...] = (int,) if whole else (int, float)
        kind_name = "a whole number" if whole else "a number"
        if isinstance(value, bool) or not isinstance(value, kinds):
            self.add(name, value, f"is not {kind_name}", f"give {kind_name}")
        elif float(cast(float, value)) < minimum or (above and value == minimum):
            bound = f"above {minimum:g}" if above else f"at least {minimum:g}"
            self.add(name, value, "is out of range", f"give {kind_name} {bound}")

    def flag(self, name: str, value: Any) -> None:
        if not isinstance(value, bool):
            self.add(name, value, "is not True or False", "give True or False")

    def memory(self, name: str, value: Any) -> None:
        if not self.text(name, value):
            return
        problem = memory_problem(value)
        if problem:
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
                f"is not a valid cron expression: it {problem}",
                "write five fields in UTC, e.g. '0 0 * * 0' (Sundays at midnight)",
            )

    def threshold(self, name: str, value: Any) -> None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self.add(
                name, value, "is a number, but thresholds are strings", f"write it in quotes: {name}={str(value)!r}"
            )
            return
        if not self.text(name, value, fix=_THRESHOLD_FIX):
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
        for i, item in enumerate(value):
            if not isinstance(item, str):
                self.add(f"{name}[{i}]", item, "is not a string", "write it in quotes")
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
        for key, item in value.items():
            if not isinstance(key, str):
                self.add(f"{name}[{key!r}]", key, "has a key that is not a string", "write the key in quotes")
            elif not isinstance(item, str):
                self.add(
                    f"{name}[{key!r}]",
                    item,
                    f"is of type {type(item).__name__}, not a string",
                    "write the value in quotes (JFrog ML sends strings only)",
                    secret=secret_values,
                )

    def url(self, name: str, value: Any, *, secret: bool = False) -> None:
        if not self.text(name, value, secret=secret):
            return
        if not re.match(r"^https?://[^\s/]+", value, re.IGNORECASE):
            self.add(name, value, "is not an http(s) URL", "give a URL such as 'https://host/path'", secret=secret)

    def git_uri(self, name: str, value: Any) -> None:
        if not self.text(name, value, fix=_GIT_URI_FIX):
            return
        shown = value
        if has_credentials(value):
            shown = "<URL with credentials>"
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
