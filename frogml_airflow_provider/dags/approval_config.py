"""``[frogml] approval_required`` and ``approval_timeout`` as this process's Airflow configuration says.

Read from Airflow's configuration (airflow.cfg or ``AIRFLOW__FROGML__APPROVAL_REQUIRED``), which is
in memory: a parse costs a dictionary lookup, not a query. An Airflow Variable would cost a metadata
database (or API server) call on every parse of every loader file, so the setting is not one.
Parsed once per distinct value (``lru_cache``).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from frogml_airflow_provider.dags.approval import ApprovalSetting, parse_setting


def configured_approvals() -> ApprovalSetting:
    """The setting; ApprovalSettingError (every bad entry named) when it cannot be read."""
    from airflow.configuration import conf

    required = conf.get("frogml", "approval_required", fallback="") or ""
    timeout = conf.get("frogml", "approval_timeout", fallback="") or ""
    return _parsed(required, timeout)


REQUIRED_VARIABLE = "AIRFLOW__FROGML__APPROVAL_REQUIRED"
TIMEOUT_VARIABLE = "AIRFLOW__FROGML__APPROVAL_TIMEOUT"


def approvals_outside_airflow() -> ApprovalSetting:
    """The same setting for the CLI, without importing Airflow (seconds) where that cannot change the
    answer: no Airflow configuration file mentions the options, and the environment sets them plainly
    (Airflow would read these variables first). Otherwise Airflow's configuration says."""
    given = {name: value for name, value in os.environ.items() if name.startswith("AIRFLOW__FROGML__APPROVAL_")}
    home = os.environ.get("AIRFLOW_HOME") or "~/airflow"
    config = Path(os.environ.get("AIRFLOW_CONFIG") or Path(home) / "airflow.cfg").expanduser()
    try:
        mentioned = "approval_" in config.read_text(errors="replace")
    except OSError:
        mentioned = False
    if mentioned or not set(given) <= {REQUIRED_VARIABLE, TIMEOUT_VARIABLE}:  # a file, or a _CMD/_SECRET form
        return configured_approvals()
    return _parsed(given.get(REQUIRED_VARIABLE, ""), given.get(TIMEOUT_VARIABLE, ""))


@lru_cache(maxsize=4)
def _parsed(required: str, timeout: str) -> ApprovalSetting:
    return parse_setting(required, timeout)
