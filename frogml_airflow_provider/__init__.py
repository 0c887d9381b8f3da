"""Apache Airflow provider for JFrog ML (formerly Qwak) automations.

Kept import-light on purpose: DAG parsing is a hot path, so nothing here imports Airflow.
"""

__version__ = "0.2.0"
