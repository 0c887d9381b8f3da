"""JFrog ML automations as Airflow DAGs, share 5 of 8 (from `frogml-airflow init`).

Every automation file in ./automations/ becomes one DAG, named after the automation. The files are
spread over 8 loader files like this one by a stable hash of their path, so that they parse
in parallel and a failure costs only one share. Check them with `frogml-airflow validate automations`.
"""

from frogml_airflow_provider.dags.loader import load_share

globals().update(load_share(__file__, "automations", share=5, shares=8))
