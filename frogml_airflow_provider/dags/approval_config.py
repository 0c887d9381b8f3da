"""``[frogml] approval_required`` and ``approval_timeout`` as this process's Airflow configuration says.

Read from Airflow's configuration (airflow.cfg or ``AIRFLOW__FROGML__APPROVAL_REQUIRED``), which is
in memory: a parse costs a dictionary lookup, not a query. An Airflow Variable would cost a metadata
database (or API server) call on every parse of every loader file, so the setting is not one.
Parsed once per distinct value (``lru_cache``).
"""

from __future__ import annotations

from functools import lru_cache

from frogml_airflow_provider.dags.approval import ApprovalSetting, parse_setting


def configured_approvals() -> ApprovalSetting:
    """The setting; ApprovalSettingError (every bad entry named) when it cannot be read."""
    from airflow.configuration import conf

    required = conf.get("frogml", "approval_required", fallback="") or ""
    timeout = conf.get("frogml", "approval_timeout", fallback="") or ""
    return _parsed(required, timeout)


@lru_cache(maxsize=4)
def _parsed(required: str, timeout: str) -> ApprovalSetting:
    return parse_setting(required, timeout)
