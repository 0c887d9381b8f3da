"""JFrog ML automations as Airflow DAGs (written by `frogml-airflow init`).

Every automation file in ./automations/ becomes one DAG, named after the automation.
Check the files with `frogml-airflow validate automations`.
"""

from frogml_airflow_provider.dags.loader import load_dags

globals().update(load_dags(__file__, "automations"))
