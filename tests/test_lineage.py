"""OpenLineage stays optional: parsing the examples and running an operator import none of it; the
datasets and the ``frogml`` run facet the operators report (``lineage.py``), table-driven."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from airflow.providers.common.compat.openlineage.facet import Dataset
from openlineage.client.serde import Serde

from frogml_airflow_provider.lineage import analytics_datasets, folder_dataset, git_dataset, lineage
from tests.support import EXAMPLES

NO_LINEAGE = """
import json, sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors and len(bag.dags) >= 7, bag.import_errors
from frogml_airflow_provider.operators.gate import FrogMLBuildMetricBranchOperator

class TI:
    dag_id, run_id, task_id = "d", "r", "check_build_metric"
    def xcom_pull(self, task_ids, key):
        return {"build_id": "b-1", "metrics": {"f1": 0.9}}.get(key)
    def xcom_push(self, key, value):
        pass

gate = FrogMLBuildMetricBranchOperator(
    task_id="check_build_metric", model_id="m", metric_name="f1", direction="ABOVE", threshold="0.5"
)
gate.choose_branch({"ti": TI()})  # a run: the operator works, lineage is only built when asked
loaded = sorted(m for m in sys.modules if "openlineage" in m or m.startswith("frogml_airflow_provider.lineage"))
print(json.dumps(loaded))
"""


def test_parsing_and_running_import_no_openlineage(tmp_path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_FROGML_DEFAULT": json.dumps({"conn_type": "frogml", "extra": {"state_dir": str(tmp_path)}}),
        "PYTHONWARNINGS": "ignore",
        "HOME": str(tmp_path),
    }
    done = subprocess.run(
        [sys.executable, "-c", NO_LINEAGE, str(EXAMPLES)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    # Airflow's providers manager reads every installed provider's metadata (the first asset URI with a
    # provider scheme asks it for normalizers): that one small module, never OpenLineage itself.
    assert loaded <= {"airflow.providers.openlineage", "airflow.providers.openlineage.get_provider_info"}, loaded


@pytest.mark.parametrize(
    ("git_uri", "dataset"),
    [
        ("https://user:ghp_x@github.com/org/repo.git", Dataset(namespace="https://github.com", name="org/repo.git")),
        ("/srv/git/sample-model.git", Dataset(namespace="file", name="/srv/git/sample-model.git")),
        ("file:///srv/git/m.git", Dataset(namespace="file", name="/srv/git/m.git")),
        ("", None),
    ],
)
def test_a_build_reads_its_git_repository(git_uri: str, dataset: Dataset | None) -> None:
    assert git_dataset(git_uri) == dataset


@pytest.mark.parametrize(
    ("location", "dataset"),
    [
        ("/state/buckets/out/2024-03-09", Dataset(namespace="file", name="/state/buckets/out/2024-03-09")),
        ("iris-scores/nightly/2024-03-09", Dataset(namespace="s3://iris-scores", name="nightly/2024-03-09")),
        ("", None),
    ],
)
def test_batch_folders_are_named_as_openlineage_names_them(location: str, dataset: Dataset | None) -> None:
    assert folder_dataset(location) == dataset


def test_analytics_tables_of_a_query_once_each_in_the_platforms_namespace() -> None:
    sql = 'SELECT avg(x) FROM "my table" JOIN other o ON 1=1 WHERE y IN (SELECT y FROM other)'
    assert [(d.namespace, d.name) for d in analytics_datasets(sql, "jfrog")] == [
        ("frogml-analytics://jfrog", "my table"),
        ("frogml-analytics://jfrog", "other"),
    ]


def test_the_run_facet_keeps_only_its_own_fields_and_serializes() -> None:
    found = lineage([], [], {"build_id": "b-1", "metrics": {"f1": 0.9}, "source": "/x", "gate": None}, "m")
    facet = Serde.to_dict(found.run_facets["frogml"])
    assert {k: v for k, v in facet.items() if not k.startswith("_")} == {
        "model_id": "m",
        "automation": "",
        "platform": "",
        "build_id": "b-1",
        "metrics": {"f1": 0.9},
    }
    assert facet["_schemaURL"].startswith("urn:airflow-provider-frogml:")
