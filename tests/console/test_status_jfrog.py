"""The status page's JFrog ML side against the SDK's own automation service mock: natives and their
state, drift from the loader's field digests (named, never a value), and a JFrog ML that fails said
as a note. The rows are built as the page builds them (``status._body``), without an API server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from frogml_airflow_provider.console import known, status
from frogml_airflow_provider.dags.loading import load_automations
from frogml_airflow_provider.dags.shares import Record, RecordSet, field_digests
from frogml_airflow_provider.export.native import automation_spec
from tests.support.jfrog import SECRETS, build

CHURN = "churn_retrain"
EVERYONE = status.Access(frozenset({CHURN}), every_dag=True, import_errors=True)


def snapshot_of(automations: Path) -> known.Snapshot:
    """What the dag-processor would have left: the DAG of churn.py, and the loader's record of it."""
    (item,) = load_automations(automations).automations
    record = Record(CHURN, CHURN, "churn.py", "airflow", "", field_digests(automation_spec(item.automation)))
    dag = known.Dag(
        CHURN,
        is_paused=False,
        is_stale=False,
        scheduled=True,
        relative_fileloc="x.py",
        last_run_state="",
        last_run_at="",
    )
    return known.Snapshot({CHURN: dag}, (), RecordSet({CHURN: record}, (str(automations),), ()), ())


def row(html: str, name: str) -> list[str]:
    cells = html[html.index(f"<td>{name}</td>") :].split("</tr>")[0]
    return [cell.split("</td>")[0] for cell in cells.split("<td>")[1:]]


def test_natives_state_and_drift_by_field_names_never_values(
    mock: Any, cli: Callable[..., SimpleNamespace], folder: Callable[..., Path]
) -> None:
    assert cli("register", folder(lone=build("only_on_jfrog")), "--yes").code == 0
    changed = build(CHURN, cron="0 9 * * *").replace("SLACK-SECRET-XYZ", "OTHER-SECRET")
    assert cli("register", folder(churn=changed), "--yes").code == 0
    assert cli("pause", CHURN).code == 0
    mine = folder(churn=build(CHURN))  # the file as the loader last read it
    side = known.jfrog_side("frogml_default")
    assert side.natives is not None and set(side.natives) == {CHURN, "only_on_jfrog"}, side.notes
    html = status._body(snapshot_of(mine), side, EVERYONE)
    churn = row(html, CHURN)
    assert churn[2] == "airflow" and churn[6] == "disabled" and churn[8] == "trigger, on_error"
    assert row(html, "only_on_jfrog")[4] == "absent"  # a native without a DAG: every-DAG viewers see it
    assert not any(secret in html for secret in (*SECRETS, "OTHER-SECRET"))
    limited = status._body(
        snapshot_of(mine), side, status.Access(frozenset({CHURN}), every_dag=False, import_errors=False)
    )
    assert "only_on_jfrog" not in limited


def test_a_jfrog_ml_that_fails_is_a_note_and_its_columns_unknown(
    mock: Any, folder: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    mock.fail("ListAutomations", 1)
    side = known.jfrog_side("frogml_default")
    assert side.natives is None and any("JFrog ML could not be read" in note for note in side.notes), side.notes
    html = status._body(snapshot_of(folder(churn=build(CHURN))), side, EVERYONE)
    assert row(html, CHURN)[6] == "unknown" and "JFrog ML could not be read" in html
