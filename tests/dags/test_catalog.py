"""A folder -> one plan per valid automation plus every error, dag_id collisions included."""

from __future__ import annotations

from collections.abc import Callable

from frogml_airflow_provider.dags.catalog import catalog
from frogml_airflow_provider.dags.plan import METRIC_TRIGGER_DEFAULT_CRON
from frogml_airflow_provider.errors import DuplicateAutomationError

HEADER = "from frogml.core.automations import *\n"


def batch(name: str, trigger: str = "NoneTrigger()") -> str:
    return (
        f"Automation(name={name!r}, model_id='m', trigger={trigger}, action=BatchExecution("
        "data_specifications=BatchJobDataSpecifications(source_bucket='in', destination_bucket='out', "
        "input_file_type='csv', output_file_type='csv')))"
    )


def test_plans_come_with_their_source_file_relative_to_the_folder(write_files: Callable) -> None:
    root = write_files(
        {
            "b.py": HEADER + f"x = {batch('second')}\n",
            "team/a.py": HEADER + f"x = {batch('first', 'ScheduledTrigger(interval="Daily")')}\n",
        }
    )
    found = catalog(root)
    assert [(source, plan.dag_id, plan.schedule.cron) for source, plan in found.plans] == [
        ("b.py", "second", None),
        ("team/a.py", "first", "@daily"),
    ]
    assert found.errors == ()
    assert len(found.report.files) == 2
    assert "Defined in `team/a.py`." in found.plans[1][1].doc_md


def test_label_prefixes_the_source_shown_in_the_docs(write_files: Callable) -> None:
    root = write_files({"a.py": HEADER + f"x = {batch('a')}\n"})
    [(source, plan)] = catalog(root, label="automations").plans
    assert source == "a.py"
    assert "Defined in `automations/a.py`." in plan.doc_md


def test_the_metric_default_cron_reaches_the_plans(write_files: Callable) -> None:
    trigger = "MetricBasedTrigger(name='m', metric=SqlMetric(sql_query='SELECT 1'), threshold='1')"
    root = write_files({"a.py": HEADER + f"x = {batch('a', trigger)}\n"})
    watch = catalog(root).plans[0][1].schedule.watch
    assert watch is not None and watch.cron == METRIC_TRIGGER_DEFAULT_CRON
    assert catalog(root, metric_default_cron="0 6 * * *").plans[0][1].schedule.cron == "0 6 * * *"


def test_names_that_become_the_same_dag_id_are_reported_and_the_first_kept(write_files: Callable) -> None:
    root = write_files(
        {
            "a.py": HEADER + f"x = {batch('retrain model')}\n",
            "b.py": HEADER + f"x = {batch('retrain_model')}\n",
            "c.py": HEADER + f"x = {batch('retrain:model')}\n",
            "d.py": HEADER + f"x = {batch('other')}\n",
        }
    )
    found = catalog(root)
    assert [(source, plan.automation_name) for source, plan in found.plans] == [
        ("a.py", "retrain model"),
        ("d.py", "other"),
    ]
    assert [error.file for error in found.errors] == ["b.py", "c.py"]
    for error in found.errors:
        assert "becomes DAG id 'retrain_model'" in error.message
        assert "like the automation in a.py" in error.message
        assert "rename one of them" in error.message


def test_load_errors_are_passed_through_next_to_the_valid_plans(write_files: Callable) -> None:
    root = write_files(
        {
            "a.py": HEADER + f"x = {batch('dup')}\n",
            "b.py": HEADER + f"x = {batch('dup')}\n",
            "c.py": "raise RuntimeError('broken')\n",
            "d.py": HEADER + f"x = {batch('fine')}\n",
        }
    )
    found = catalog(root)
    assert [plan.automation_name for _, plan in found.plans] == ["dup", "fine"]
    assert sorted((error.file, type(error).__name__) for error in found.errors) == [
        ("b.py", DuplicateAutomationError.__name__),
        ("c.py", "AutomationLoadError"),
    ]
    assert found.errors == found.report.errors


def test_an_empty_folder_is_an_empty_catalog(tmp_path) -> None:  # type: ignore[no-untyped-def]
    found = catalog(tmp_path)
    assert (found.plans, found.errors, found.report.files) == ((), (), ())


def test_one_bad_automation_never_costs_the_others_their_dags(write_files: Callable) -> None:
    root = write_files(
        {
            "a.py": HEADER + f"auto = {batch('mutated')}\nauto.trigger = ScheduledTrigger(interval='Monthly')\n",
            "b.py": HEADER + f"x = {batch('fine')}\n",
        }
    )
    found = catalog(root)
    assert [plan.automation_name for _, plan in found.plans] == ["fine"]
    assert [error.file for error in found.errors] == ["a.py"]
