"""Cron syntax check (five fields, or an @macro), pure and with messages a person can act on."""

from __future__ import annotations

MACROS = frozenset({"@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually"})

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


def cron_problem(expression: str) -> str | None:
    """Why ``expression`` is not a valid cron expression, or None when it is."""
    text = expression.strip()
    if not text:
        return "is empty"
    if text.startswith("@"):
        return None if text.lower() in MACROS else f"unknown macro {text!r}"
    parts = text.split()
    if len(parts) != 5:
        return f"has {len(parts)} fields, a cron expression has 5 (minute hour day-of-month month day-of-week)"
    for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True):
        for item in part.split(","):
            problem = _item_problem(item, low, high, names)
            if problem:
                return f"{name} field {part!r}: {problem}"
    return _never_fires(parts)


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _never_fires(parts: list[str]) -> str | None:
    """Day-of-month and month that never meet (``0 0 31 2 *``): Airflow would fail scheduling it."""
    if parts[4] != "*" or parts[2] == "*" or parts[3] == "*":
        return None  # with a day-of-week, cron fires on either day field
    days = _values(parts[2], *_FIELDS[2][1:])
    months = _values(parts[3], *_FIELDS[3][1:])
    if any(day <= _DAYS_IN_MONTH[month - 1] for day in days for month in months):
        return None
    return f"never fires: day {min(days)} of the month does not occur in month(s) {parts[3]!r}"


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
        values.update(range(start, end + 1, int(step or 1)))
    return values


def _item_problem(item: str, low: int, high: int, names: dict[str, int]) -> str | None:
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        return f"step {step!r} must be a whole number above 0"
    if base == "*":
        return None
    first, dash, last = base.partition("-")
    bounds = []
    for token in (first, last) if dash else (first,):
        value = names.get(token.upper()) if not token.isdigit() else int(token)
        if value is None:
            named = f" or a name such as {next(iter(names))}" if names else ""
            return f"{token!r} is not a number in {low}-{high}{named}"
        if not low <= value <= high:
            return f"{value} is out of range {low}-{high}"
        bounds.append(value)
    if dash and bounds[0] > bounds[1]:
        return f"range {base!r} runs backwards"
    return None
