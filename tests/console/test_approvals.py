"""The model page says who approved or rejected each protected deploy, and when (a real local
platform's records, as ``approve_deploy`` writes them); a model without approvals shows no section."""

from __future__ import annotations

from frogml_airflow_provider.console import pages
from frogml_airflow_provider.platform.local.platform import LocalPlatform


def record(platform: LocalPlatform, build: str, decision: str, by: str, at: str) -> None:
    detail = {
        "decision": decision,
        "responded_by": by,
        "responded_at": at,
        "variation": "prod",
        "dag_id": "retrain_churn",
        "run_id": f"manual__{at}",
    }
    platform.record_decision("approval", "churn", build, detail)


def test_the_model_page_shows_who_decided_each_deploy_newest_first(local_platform: LocalPlatform) -> None:
    record(local_platform, "churn-1", "approved", "alice", "2026-12-05T10:00:00+00:00")
    record(local_platform, "churn-2", "rejected", "bob <b>", "2026-12-05T11:00:00+00:00")
    record(local_platform, "churn-3", "timed_out", "", "2026-12-05T12:00:00+00:00")
    page = pages.model_page(local_platform, "churn", "/frogml")
    section = page.split("<h2>Deploy approvals</h2>")[1].split("<h2>")[0]
    rows = section.split("<tr>")[2:]
    assert [row.split("</td>")[0].removeprefix("<td>") for row in rows] == ["churn-3", "churn-2", "churn-1"]
    assert "no answer in time (Reject)" in rows[0] and "—" in rows[0]
    assert "rejected" in rows[1] and "bob &lt;b&gt;" in rows[1]  # escaped
    assert "alice" in rows[2] and "2026-12-05T10:00:00+00:00" in rows[2]
    assert "href='/dags/retrain_churn/runs/manual__2026-12-05T10%3A00%3A00%2B00%3A00'" in rows[2]


def test_no_section_for_a_model_without_approvals(local_platform: LocalPlatform) -> None:
    assert "Deploy approvals" not in pages.model_page(local_platform, "churn", "/frogml")
