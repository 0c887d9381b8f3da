"""The numbers the gate and the metric trigger compare: finite, and from queries with a time limit.

A query's value or a threshold that is ``inf`` or ``nan`` (``SELECT 1e999``) would pass or fail
every comparison by accident; it is an error instead, never a crossing.
"""

from __future__ import annotations

import math

from frogml_airflow_provider.platform.base import Platform, PlatformError, QueryShapeError, QueryTimeout

DEFAULT_QUERY_TIMEOUT = 60.0


def query_timeout() -> float:
    """Seconds a metric or threshold query may run (``[frogml] query_timeout``)."""
    from airflow.configuration import conf

    limit = conf.getfloat("frogml", "query_timeout", fallback=DEFAULT_QUERY_TIMEOUT)
    if not math.isfinite(limit) or limit <= 0:
        raise PlatformError(f"[frogml] query_timeout = {limit!r} must be a positive number of seconds (default 60)")
    return limit


def query_number(platform: Platform, sql: str, *, role: str, where: str) -> float:
    """The one finite number ``sql`` returns; ``role`` ("metric", "threshold") and ``where`` (the
    automation, DAG and task) name the query in every error."""
    limit = query_timeout()
    what = f"the {role} query of {where}"
    try:
        result = platform.query(sql, timeout=limit)
    except QueryTimeout as error:
        raise QueryTimeout(
            f"{what} did not finish within {limit:g} s and was stopped; make it cheaper (a LIMIT, a window "
            f"on ts) or raise [frogml] query_timeout (AIRFLOW__FROGML__QUERY_TIMEOUT). {error}",
            limit=limit,
        ) from None
    except PlatformError as error:
        if isinstance(error, QueryShapeError):
            raise
        raise PlatformError(f"{what}: {error}") from None
    return finite(result.single_number(what), what)


def threshold_number(text: str, where: str) -> float:
    """A literal threshold (the spec checks it parses; templating may have changed it since)."""
    try:
        value = float(text)
    except ValueError:
        raise PlatformError(f"the threshold of {where} is {text!r}, not a number or a SQL query") from None
    return finite(value, f"the threshold of {where}")


def finite(value: float, what: str) -> float:
    if not math.isfinite(value):
        raise PlatformError(
            f"{what} is {value!r}, not a finite number: it is not compared (it would pass or fail every "
            "threshold by accident); make it return a finite value"
        )
    return value


def where(automation: str, dag_id: str, task_id: str) -> str:
    name = f"automation {automation!r} " if automation else ""
    return f"{name}(DAG {dag_id!r}, task {task_id!r})"
