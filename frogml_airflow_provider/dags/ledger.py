"""The ledger: which automations run on JFrog ML instead of Airflow, and since when.

A small JSON file beside the automation files (``frogml-ledger.json``), written by
``frogml-airflow migrate`` and meant to be committed: a hand-over is then reviewable like any other
change, and the loader reads it at parse time without any network call. An automation that is not
in the ledger runs on Airflow. The loader keeps the DAG of a handed-over automation visible (its
history stays) but unscheduled and paused, and its docs say where it runs now.

Pure: no Airflow, network or SDK import.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frogml_airflow_provider.errors import LedgerError

LEDGER_NAME = "frogml-ledger.json"
JFROG = "jfrog"
AIRFLOW = "airflow"
_VERSION = 1


@dataclass(frozen=True)
class Handover:
    """One automation that runs on JFrog ML: since when, and who moved it."""

    name: str
    since: str  # ISO 8601, UTC, to the second
    by: str = ""

    def to_json(self) -> dict[str, str]:
        return {"runs_on": JFROG, "since": self.since, **({"by": self.by} if self.by else {})}


@dataclass(frozen=True)
class Ledger:
    path: Path
    handovers: dict[str, Handover]

    def runs_on(self, name: str) -> str:
        return JFROG if name in self.handovers else AIRFLOW

    def with_handover(self, name: str, *, by: str = "", now: datetime | None = None) -> Ledger:
        since = (now or datetime.now(UTC)).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return Ledger(self.path, {**self.handovers, name: Handover(name, since, by)})

    def without(self, name: str) -> Ledger:
        return Ledger(self.path, {k: v for k, v in self.handovers.items() if k != name})

    def text(self) -> str:
        body = {
            "version": _VERSION,
            "comment": "Automations that run on JFrog ML instead of Airflow; written by frogml-airflow migrate.",
            "automations": {name: self.handovers[name].to_json() for name in sorted(self.handovers)},
        }
        return json.dumps(body, indent=2) + "\n"


def ledger_path(folder: str | os.PathLike[str]) -> Path:
    return Path(folder) / LEDGER_NAME


def read_ledger(folder: str | os.PathLike[str]) -> Ledger:
    """The ledger of an automations folder; an empty one when the file does not exist."""
    path = ledger_path(folder)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Ledger(path, {})
    except OSError as error:
        raise LedgerError(str(path), f"cannot read the ledger ({error.strerror or error})") from None
    return Ledger(path, _parse(path, text))


def _parse(path: Path, text: str) -> dict[str, Handover]:
    fix = "fix the file by hand (it is JSON; see git history) or delete it to hand every automation back to Airflow"
    try:
        data: Any = json.loads(text)
    except ValueError as error:
        raise LedgerError(str(path), f"is not valid JSON ({error}); {fix}") from None
    entries = data.get("automations") if isinstance(data, dict) else None
    if not isinstance(entries, dict):
        raise LedgerError(str(path), f"has no 'automations' object; {fix}")
    handovers = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict) or entry.get("runs_on") != JFROG or not isinstance(entry.get("since"), str):
            raise LedgerError(str(path), f'entry {name!r} must be {{"runs_on": "jfrog", "since": "<ISO time>"}}; {fix}')
        handovers[name] = Handover(name, entry["since"], str(entry.get("by") or ""))
    return handovers


def write_ledger(ledger: Ledger) -> None:
    """Replace the ledger file atomically (a reader sees the old or the new one, never half)."""
    ledger.path.parent.mkdir(parents=True, exist_ok=True)
    if not ledger.handovers and not ledger.path.exists():
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{LEDGER_NAME}.", dir=ledger.path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(ledger.text())
        os.replace(tmp, ledger.path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
