"""Spec values only this machine can reach (pure): which git URIs and buckets an export names."""

from __future__ import annotations

import pytest

from frogml_airflow_provider.automations import (
    Automation,
    BatchExecution,
    BatchJobDataSpecifications,
    BuildMetric,
    BuildSpecifications,
    DeploymentSpecifications,
    FrogmlBuildDeploy,
    NoneTrigger,
    ThresholdDirection,
)
from frogml_airflow_provider.export.reach import machine_local_paths


def build(uri: str) -> Automation:
    return Automation(
        name="a",
        model_id="m",
        trigger=NoneTrigger(),
        action=FrogmlBuildDeploy(
            BuildSpecifications(git_uri=uri),
            BuildMetric("f1", ThresholdDirection.ABOVE, "0.5"),
            DeploymentSpecifications(),
        ),
    )


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("https://github.com/org/repo.git#models/churn", False),
        ("http://git.internal/org/repo.git", False),
        ("ssh://git@github.com/org/repo.git", False),
        ("git://git.example/repo.git", False),
        ("git@github.com:org/repo.git", False),
        ("github.com:org/repo.git", False),
        ("/root/airflow/sample-model.git", True),
        ("file:///srv/git/repo.git", True),
        ("FILE:///srv/git/repo.git", True),
        ("file://localhost/srv/git/repo.git", True),
        ("./sample", True),
        ("../sample", True),
        ("sample-model", True),  # a relative path: git clones it from the working folder
        ("~/models/repo.git", True),
        ("C:\\models\\repo", True),
    ],
)
def test_a_git_uri_is_local_unless_it_names_a_host(uri: str, local: bool) -> None:
    found = machine_local_paths(build(uri))
    assert [item.field for item in found] == (["action.build_spec.git_uri"] if local else [])


@pytest.mark.parametrize(
    ("bucket", "local"),
    [
        ("iris-scores", False),
        ("s3-bucket.with.dots", False),
        ("file:///data/in", True),
        ("/data/in", True),
        ("~/data", True),
        ("./data", True),
    ],
)
def test_a_bucket_is_local_when_it_is_a_folder(bucket: str, local: bool) -> None:
    automation = Automation(
        name="b",
        model_id="m",
        trigger=NoneTrigger(),
        action=BatchExecution(
            data_specifications=BatchJobDataSpecifications(
                source_bucket=bucket, input_file_type="csv", destination_bucket="out", output_file_type="csv"
            )
        ),
    )
    found = machine_local_paths(automation)
    assert [item.field for item in found] == (["action.data_specifications.source_bucket"] if local else [])


def test_credentials_in_a_value_are_never_shown() -> None:
    automation = Automation(
        name="b",
        model_id="m",
        trigger=NoneTrigger(),
        action=BatchExecution(
            data_specifications=BatchJobDataSpecifications(
                source_bucket="file://user:s3cr3t@nas/in",
                input_file_type="csv",
                destination_bucket="out",
                output_file_type="csv",
            )
        ),
    )
    (found,) = machine_local_paths(automation)
    assert found.value == "file://<credentials>@nas/in" and "s3cr3t" not in str(found)
