"""``FrogMLBatchTrigger``: wait for a batch job to finish, logging its progress (files and rows)."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.platform.base import Platform
from frogml_airflow_provider.triggers.base import FrogMLPollingTrigger


class FrogMLBatchTrigger(FrogMLPollingTrigger):
    def __init__(self, *, job_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job_id = job_id
        self._progress: tuple[str, int, int] | None = None  # the last one logged

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (f"{type(self).__module__}.{type(self).__qualname__}", {**self._kwargs(), "job_id": self.job_id})

    def check(self, platform: Platform) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        job = platform.get_batch_job(self.job_id, log_tail=False)
        if job.state.terminal:
            final = platform.get_batch_job(self.job_id).to_event()  # now with the log's tail
            return final, final
        progress = (job.state.value, job.files_done, job.rows_done)
        if progress != self._progress:
            self._progress = progress
            total = f" of {job.files_total}" if job.files_total else ""
            self.log.info(
                "Batch job %s %s: %d file(s)%s done, %d row(s)",
                job.job_id,
                job.state.value,
                job.files_done,
                total,
                job.rows_done,
            )
        return None, job.to_event()
