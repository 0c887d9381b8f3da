"""Moving automations between Airflow and JFrog ML one at a time, never scheduled on both sides.

- the ledger (``dags/ledger.py``, read by the loader too): who runs each automation;
- ``airflow_api``: the Airflow side, through Airflow's public REST API;
- ``handover``: ``migrate`` and ``migrate --back`` as ordered steps, each undone when a later one fails;
- ``steps``: runs them, undoes them on any exception (Ctrl-C and SIGTERM too), checks both sides after;
- ``status``: where each automation runs, and what differs between the file and JFrog ML.
"""
