"""Managing automations on JFrog ML: ``frogml-airflow register | list | pause | resume | run | executions``.

- ``remote``: the frogml SDK (imported on first use), the endpoint a ``frogml`` connection names,
  and one call per ``AutomationManagementService`` RPC with errors that say what to do;
- ``register``: the plan (create / update / unchanged, every check before the first write) and
  its all-or-nothing application (a failed write rolls back what the run had written);
- ``commands``: list, pause / resume, run now and executions, without ever showing a secret.

Kept import-light: nothing here imports Airflow, grpc or the SDK until a command runs.
"""
