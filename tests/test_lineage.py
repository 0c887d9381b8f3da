"""OpenLineage stays optional: parsing the examples and running an operator import none of it, and a
whole ``airflow dags test`` (worker and in-line triggers) runs where it cannot be imported; the
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
from tests.support.dags_test import DEPLOYS, airflow, iris_home

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


# As if OpenLineage were not installed: in every Python process of the run (sitecustomize) its packages
# have no metadata (no provider, no plugin for Airflow to find) and cannot be imported; an import of it
# is noted with who asked: the module whose code ran the import statement (importlib's frames aside).
BLOCK_OPENLINEAGE = """
import json, os, sys
from importlib import metadata

BLOCKED = ("openlineage", "airflow.providers.openlineage")  # common.compat (always installed) stays
HIDDEN = ("apache-airflow-providers-openlineage", "openlineage-python", "openlineage-integration-common",
          "openlineage-sql")
_distributions, _distribution = metadata.distributions, metadata.distribution


def distributions(**kwargs):
    return (d for d in _distributions(**kwargs) if (d.metadata["Name"] or "").lower().replace("_", "-") not in HIDDEN)


def distribution(name):
    if name.lower().replace("_", "-") in HIDDEN:
        raise metadata.PackageNotFoundError(name)
    return _distribution(name)


metadata.distributions, metadata.distribution = distributions, distribution


class NoOpenLineage:
    def find_spec(self, name, path=None, target=None):
        if not any(name == blocked or name.startswith(blocked + ".") for blocked in BLOCKED):
            return None
        frame = sys._getframe(1)
        while frame and (frame.f_code.co_filename.startswith("<frozen") or "importlib" in frame.f_code.co_filename):
            frame = frame.f_back
        with open(os.environ["FROGML_TEST_BLOCKED"], "a") as log:
            log.write(json.dumps({"name": name, "by": frame.f_globals.get("__name__", "") if frame else ""}) + "\\n")
        raise ModuleNotFoundError(f"No module named {name!r} (the test blocks it)", name=name)


sys.meta_path.insert(0, NoOpenLineage())
"""


@pytest.mark.slow
def test_a_run_without_openlineage_installed_imports_none_of_it(tmp_path, make_repo) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(BLOCK_OPENLINEAGE)
    blocked = tmp_path / "blocked.jsonl"
    env = {"PYTHONPATH": str(tmp_path / "site"), "FROGML_TEST_BLOCKED": str(blocked)}
    with iris_home(tmp_path, make_repo(sample=True), env=env) as environment:
        done = airflow(environment, "dags", "test", DEPLOYS)  # parse, build (deferred), gate, deploy (deferred)
    log = done.stdout + done.stderr
    assert done.returncode == 0 and "state=success" in log, log[-4000:]
    asked = [json.loads(line) for line in blocked.read_text().splitlines()] if blocked.exists() else []
    assert [a for a in asked if a["by"].startswith("frogml_airflow_provider")] == [], asked


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
