"""The console's batch job pages: every job with its state, files and rows; one job with its log."""

from __future__ import annotations

import time
from html import escape
from urllib.parse import quote

from frogml_airflow_provider.console.pages import page
from frogml_airflow_provider.platform.base import BatchJob
from frogml_airflow_provider.platform.local.platform import LocalPlatform


def _when(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(epoch)) if epoch else ""


def _files(job: BatchJob) -> str:
    return f"{job.files_done} / {job.files_total}"


def batch_jobs_page(platform: LocalPlatform, prefix: str) -> str:
    jobs = [
        platform.get_batch_job(job.job_id, log_tail=False) if not job.state.terminal else job
        for job in platform.batch_jobs()
    ]
    rows = "".join(
        f"<tr><td><a href='{prefix}/batch/{quote(job.job_id)}'>{escape(job.job_id)}</a></td>"
        f"<td><a href='{prefix}/models/{quote(job.model_id)}'>{escape(job.model_id)}</a></td>"
        f"<td><a href='{prefix}/builds/{quote(job.build_id)}'>{escape(job.build_id)}</a></td>"
        f"<td class='{job.state.value}'>{job.state.value}</td><td>{_files(job)}</td><td>{job.rows_done:,}</td>"
        f"<td>{_when(job.started_at)}</td></tr>"
        for job in reversed(jobs)
    )
    head = "<tr><th>job</th><th>model</th><th>build</th><th>state</th><th>files</th><th>rows</th><th>started</th></tr>"
    body = f"<table>{head}{rows}</table>" if rows else "<p class='empty'>No batch job yet.</p>"
    return page("Batch jobs", body, prefix)


def batch_job_page(platform: LocalPlatform, job_id: str, prefix: str) -> str:
    job = platform.get_batch_job(job_id)
    body = (
        f"<p>Model <a href='{prefix}/models/{quote(job.model_id)}'>{escape(job.model_id)}</a>, build "
        f"<a href='{prefix}/builds/{quote(job.build_id)}'>{escape(job.build_id)}</a>, "
        f"state <b class='{job.state.value}'>{job.state.value}</b>"
        f"{' — ' + escape(job.error) if job.error else ''}</p>"
        f"<p>Files: {_files(job)} · rows: {job.rows_done:,} · started {_when(job.started_at)}</p>"
        f"<p>From <code>{escape(job.source)}</code> to <code>{escape(job.destination)}</code></p>"
        f"<p><a href='{prefix}/batch'>All batch jobs</a></p>"
        f"<h2>Job log (last lines)</h2><pre>{escape(job.log_tail)}</pre>"
    )
    return page(f"Batch job {job_id}", body, prefix)
