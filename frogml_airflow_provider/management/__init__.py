"""Managing automations on JFrog ML: ``frogml-airflow register | list | pause | resume | run | executions``.

Commands only: JFrog ML is reached through ``platform.jfrog.session`` (the one client: the SDK,
the connection, the channel, retries, error mapping and scrubbing), and its automation service
``session.automations``.

- ``register``: the plan (create / update / unchanged, every check before the first write) and
  its all-or-nothing application (a failed write rolls back what the run had written);
- ``commands``: list, pause / resume, run now and executions, without ever showing a secret;
- ``specs``: ``AutomationSpec`` protos built from automations, compared, summarised, redacted.

Kept import-light: nothing here imports Airflow, grpc or the SDK until a command runs.
"""
