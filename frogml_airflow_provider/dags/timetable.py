"""The schedule of a generated DAG: Airflow's ``CronTriggerTimetable``, decoded once per value.

Airflow decodes a DAG's timetable from its serialized form again and again: 17 times per DAG while
the dag-processor writes one pass to the database (measured, Airflow 3.3), and on every scheduler
loop. Each decode of the core ``CronTriggerTimetable`` builds a new instance, which validates the
expression with croniter and describes it with cron_descriptor, re-reading cron_descriptor's
translation catalogue from disk: about half of the dag-processor manager's time for a pass over
thousands of generated DAGs.

``FrogMLCronTimetable`` is that timetable with the same serialized fields and the same behaviour. It
changes one thing: equal serialized values decode to one shared instance (a timetable holds no state
that changes; equal ones are interchangeable), so each distinct schedule is described once per
process. Airflow finds the class through the provider's plugin (``FrogMLPlugin.timetables``), the way
it finds every custom timetable.
"""

from __future__ import annotations

import datetime
import json
from functools import lru_cache
from typing import Any

from airflow.timetables.trigger import CronTriggerTimetable
from pendulum import UTC

# Distinct schedules kept decoded per process. Real folders repeat few expressions; past this bound
# a decode only costs what Airflow's own timetable costs on every decode.
CACHED_SCHEDULES = 4096


class FrogMLCronTimetable(CronTriggerTimetable):
    """Airflow's ``CronTriggerTimetable`` whose equal serialized values share one decoded instance.

    Its import path is stored with every generated DAG version, and the runs made under them: every
    later version of the provider must keep ``frogml_airflow_provider.dags.timetable.FrogMLCronTimetable``
    importable and registered, or Airflow cannot show those DAGs' history.
    """

    @classmethod
    def deserialize(cls, data: dict[str, Any]) -> FrogMLCronTimetable:
        return _decoded(json.dumps(data, sort_keys=True))

    @classmethod
    def utc(cls, cron: str, *, run_immediately: bool | datetime.timedelta) -> FrogMLCronTimetable:
        """The timetable of a generated DAG (UTC, no data interval), shared like decoded ones."""
        return _created(cron, run_immediately)


@lru_cache(maxsize=CACHED_SCHEDULES)
def _decoded(data: str) -> FrogMLCronTimetable:
    decoded = super(FrogMLCronTimetable, FrogMLCronTimetable).deserialize(json.loads(data))
    assert isinstance(decoded, FrogMLCronTimetable)
    return decoded


@lru_cache(maxsize=CACHED_SCHEDULES, typed=True)  # typed: run_immediately True is not 1
def _created(cron: str, run_immediately: bool | datetime.timedelta) -> FrogMLCronTimetable:
    return FrogMLCronTimetable(cron, timezone=UTC, run_immediately=run_immediately)
