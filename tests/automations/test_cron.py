"""The cron check accepts exactly what Airflow can schedule, and says why when it refuses.

"Airflow can schedule it" is asked of Airflow itself: the timetable the loader renders (Airflow's
``CronTriggerTimetable``, as ``FrogMLCronTimetable``) must build and validate, and find a next run.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pendulum
import pytest
from airflow.timetables.base import TimeRestriction

from frogml_airflow_provider.automations import ScheduledTrigger
from frogml_airflow_provider.automations._cron import MACROS, cron_problem
from frogml_airflow_provider.dags.timetable import FrogMLCronTimetable
from frogml_airflow_provider.errors import AutomationSpecError

START = pendulum.datetime(2026, 1, 1, tz="UTC")


def airflow_schedules(expression: str) -> bool:
    try:
        timetable = FrogMLCronTimetable.utc(expression, run_immediately=timedelta(0))
        timetable.validate()
        info = timetable.next_dagrun_info(
            last_automated_data_interval=None,
            restriction=TimeRestriction(earliest=START, latest=None, catchup=True),
        )
    except Exception:
        return False
    return info is not None


# Tokens a person (or a docs page for another cron dialect) might write in each field.
FIELD_TOKENS = [
    ["*", "0", "5", "59", "60", "*/15", "*/0", "0-30", "30-5", "5-1", "1,2", "1,,2", "x", "-1", "?", "L", "*/61"],
    ["*", "0", "12", "23", "24", "9-17", "17-9", "*/2", "0/3", "?", "L", "1#2"],
    ["*", "1", "15", "31", "32", "0", "L", "?", "15W", "LW", "1-15", "20-5", "*/10", "1,15", "L-2", "5L"],
    ["*", "1", "2", "12", "13", "JAN", "jan-mar", "DEC-FEB", "*/3", "FEB", "?", "L", "JAX", "4,6,9,11", "0"],
    ["*", "0", "7", "8", "MON", "mon-fri", "FRI-MON", "1#2", "5#6", "5L", "L", "?", "SUN,SAT", "*/2", "0-7", "FUNDAY"],
]


def random_expressions(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(tokens) for tokens in FIELD_TOKENS) for _ in range(count)]


def test_the_check_agrees_with_airflow_on_thousands_of_expressions() -> None:
    expressions = sorted(set(random_expressions(4000, seed=14)))
    accepted_by_airflow = [e for e in expressions if airflow_schedules(e)]
    assert 200 < len(accepted_by_airflow) < len(expressions) - 200  # both answers are well represented
    too_strict = [e for e in accepted_by_airflow if cron_problem(e) is not None]
    too_lenient = [e for e in expressions if cron_problem(e) is None and not airflow_schedules(e)]
    assert too_lenient == []  # nothing passes validation that Airflow then refuses
    assert too_strict == []  # and Airflow's L, ?, 1#2, 15W and wrap-around ranges are accepted


@pytest.mark.parametrize(
    "expression",
    ["0 0 L * *", "0 0 ? * 1#2", "5-1 * * * *", "0 22-2 * * *", "0 0 15W * *", "0 0 * * FRI-MON", "0 0 L 2 ?"],
)
def test_forms_airflow_schedules_are_accepted(expression: str) -> None:
    assert airflow_schedules(expression)
    assert ScheduledTrigger(cron=expression).cron == expression


@pytest.mark.parametrize("macro", [*sorted(MACROS), "@Daily", "@HOURLY"])
def test_every_accepted_macro_is_one_airflow_schedules(macro: str) -> None:
    assert airflow_schedules(macro) and cron_problem(macro) is None


@pytest.mark.parametrize("expression", ["@reboot", "@once", "@Quarterly", "0 0 * * * *", "0 0 * * 5L", "0 0 LW * *"])
def test_forms_refused_here_are_refused_or_not_portable(expression: str) -> None:
    # Six fields (seconds) would schedule in Airflow, but JFrog ML's cron has five: a deliberate refusal.
    assert cron_problem(expression) is not None
    assert expression == "0 0 * * * *" or not airflow_schedules(expression)


@pytest.mark.parametrize(
    ("expression", "sentence"),
    [
        ("61 0 * * *", "the minute field '61' is out of range: 61 is not in 0-59"),
        ("0 0 * * 8", "the day of week field '8' is out of range: 8 is not in 0-7"),
        ("*/0 * * * *", "the minute field '*/0' has the step '0'; a step must be a whole number above 0"),
        ("0 0 * * FUNDAY", "the day of week field 'FUNDAY' is not understood: 'FUNDAY' is not a number"),
        ("* * * *", "it has 4 fields; a cron expression here has five fields: minute, hour"),
        ("0 0 31 2 *", "it never fires: day 31 of the month does not occur in month(s) '2'"),
        ("@reboot", "the macro '@reboot' is unknown; use one of @annually"),
        ("0 0 * * 5L", "Airflow's cron parser (croniter) refuses it"),
    ],
)
def test_refusals_read_as_sentences(expression: str, sentence: str) -> None:
    problem = cron_problem(expression)
    assert problem is not None and problem.startswith(sentence)
    with pytest.raises(AutomationSpecError) as raised:
        ScheduledTrigger(cron=expression)
    assert f"is not a valid cron expression: {sentence}" in str(raised.value)
    assert " it minute" not in str(raised.value)
