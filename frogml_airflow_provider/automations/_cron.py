"""Cron check: accepts exactly what Airflow can schedule (five fields, or a macro), with messages a
person can act on.

Airflow's ``CronTriggerTimetable`` hands the expression to croniter (after mapping its presets,
``@quarterly`` among them) and asks it for the next time. So croniter decides: it accepts ``L``,
``?``, ``1#2``, ``15W`` and wrap-around ranges such as ``5-1``. Plain expressions (numbers, names,
``*``, forward ranges, steps, lists) are decided here without it; everything else is asked of
croniter (light: ~30 ms to import, and already imported wherever Airflow parses DAGs). A refusal
is worded from the fields when they tell why, else from croniter. Six- and seven-field forms
(seconds, years) are refused: JFrog ML's cron has five fields.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import lru_cache

# Airflow's own presets (airflow.sdk.definitions.timetables._cron.CRON_PRESETS) and croniter's macros.
PRESETS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@quarterly": "0 0 1 */3 *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MACROS = frozenset(PRESETS)
_CRONITER_MACROS = MACROS - {"@quarterly"}

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")

# (name, low, high, names mapped to numbers)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
)
# Decided here, without croniter: digits, *, ranges, steps, lists, and names without L or W (JUL,
# WED, APRIL... go to croniter, as does anything with L, W, # or ?).
_PLAIN = re.compile(r"[0-9*,/\- A-KM-VX-Za-km-vx-z]+")
_FIVE_FIELDS = "five fields: minute, hour, day of month, month, day of week"


def cron_problem(expression: str) -> str | None:
    """Why Airflow could not schedule ``expression``, as a sentence; None when it can."""
    text = expression.strip()
    if not text:
        return "it is empty"
    if text.startswith("@"):
        if text in PRESETS or text.lower() in _CRONITER_MACROS:  # croniter reads its macros in any case
            return None
        return f"the macro {text!r} is unknown; use one of {', '.join(sorted(MACROS))}"
    parts = text.split()
    if len(parts) != 5:
        return f"it has {len(parts)} field{'s' if len(parts) != 1 else ''}; a cron expression here has {_FIVE_FIELDS}"
    return _verdict(" ".join(parts))


@lru_cache(maxsize=4096)
def _verdict(text: str) -> str | None:
    parts = text.split()
    plain = _PLAIN.fullmatch(text) and not any(c.isalpha() for part in parts[:3] for c in part)
    if plain and _field_problem(parts) is None:
        return _never_fires(parts)  # numbers, names, *, ranges, steps: croniter accepts these alike
    return _croniter_problem(text, parts)


def _croniter_only(part: str) -> bool:
    """Forms this module leaves to croniter: L, W, #, ? (month and day names are fine)."""
    return any(any(mark in item.upper() for mark in "LW#?") and not item.isalpha() for item in part.split(","))


def _croniter_problem(text: str, parts: list[str]) -> str | None:
    from croniter import CroniterBadDateError, croniter

    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError:
        return _never_fires(parts) or "it never fires: no date matches it"
    except (ValueError, KeyError, IndexError, TypeError) as error:  # croniter's errors are ValueErrors
        return _field_problem(parts) or f"Airflow's cron parser (croniter) refuses it: {error}"
    return None


def _field_problem(parts: list[str]) -> str | None:
    """The first field that is wrong, said as a sentence. Tokens only croniter knows are left to it."""
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            if _croniter_only(item):
                continue
            problem = _item_problem(item, low, high, names)
            if problem:
                return f"the {name} field {part!r} {problem}"
    return None


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _never_fires(parts: list[str]) -> str | None:
    """Day-of-month and month that never meet (``0 0 31 2 *``): Airflow would fail scheduling it."""
    if parts[4] not in ("*", "?") or parts[2] in ("*", "?") or parts[3] == "*":
        return None  # with a day-of-week, cron fires on either day field
    try:
        days = _values(parts[2], *_FIELDS[2][1:])
        months = _values(parts[3], *_FIELDS[3][1:])
    except (KeyError, ValueError):
        return None  # a form only croniter reads (L, W, wrap-around)
    if not days or any(day <= _DAYS_IN_MONTH[month - 1] for day in days for month in months):
        return None
    return f"it never fires: day {min(days)} of the month does not occur in month(s) {parts[3]!r}"


def _values(part: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    values: set[int] = set()
    for item in part.split(","):
        base, _, step = item.partition("/")
        first, dash, last = base.partition("-")
        if base == "*":
            start, end = low, high
        else:
            start = int(first) if first.isdigit() else names[first.upper()]
            end = (int(last) if last.isdigit() else names[last.upper()]) if dash else (high if step else start)
        if start > end:
            raise ValueError("wrap-around range")
        values.update(range(start, end + 1, int(step or 1)))
    return values


def _item_problem(item: str, low: int, high: int, names: dict[str, int]) -> str | None:
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        return f"has the step {step!r}; a step must be a whole number above 0"
    if base == "*":
        return None
    first, dash, last = base.partition("-")
    for token in (first, last) if dash else (first,):
        value = names.get(token.upper()) if not token.isdigit() else int(token)
        if value is None:
            named = f" or a name such as {next(iter(names))}" if names else ""
            return f"is not understood: {token!r} is not a number from {low} to {high}{named}"
        if not low <= value <= high:
            return f"is out of range: {value} is not in {low}-{high}"
    return None
