"""Automation files -> Airflow DAGs, in the order the data flows:

- ``shim``: serves ``frogml.core.automations`` (and the Qwak-era names) from the spec while files load;
- ``loading``: discovers and imports automation files, collects automations and every error;
  ``budget`` gives each file its own time limit; ``locate`` names the file, line and field of an error;
- ``catalog``: a folder -> plans + errors; ``plan``: an automation -> a pure ``DagPlan``;
- ``render``: a plan -> a DAG of provider operators (Airflow);
- ``shares``: which loader file (share) takes which automation file, and the names shares claimed;
- ``loader``: what the loader DAG files call; ``import_errors``: reports a broken file under its own path.

Everything before ``render`` is pure (no Airflow, network or SDK import); a test proves it.
"""
