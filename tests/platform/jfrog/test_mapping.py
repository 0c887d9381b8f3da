"""The pure translations: JFrog ML statuses -> states, run tags, values (no SDK needed)."""

from __future__ import annotations

import struct

import pytest

from frogml_airflow_provider.platform.base import BuildState, DeploymentState
from frogml_airflow_provider.platform.jfrog._mapping import (
    BUILD_STATES,
    DEPLOYMENT_STATES,
    build_state,
    deployment_state,
    endpoint,
    key_values,
    memory,
    metric,
    run_tag,
    shown_uri,
    typed,
    typed_rows,
)


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("INVALID", BuildState.QUEUED),
        ("BUILD_REQUESTED", BuildState.QUEUED),
        ("BUILD_PENDING", BuildState.QUEUED),
        ("REMOTE_BUILD_INITIALIZING", BuildState.QUEUED),
        ("IN_PROGRESS", BuildState.RUNNING),
        ("SYNCING_ENVIRONMENTS", BuildState.RUNNING),
        ("SUCCESSFUL", BuildState.SUCCESSFUL),
        ("FINISHED_SYNCING", BuildState.SUCCESSFUL),
        ("FAILED", BuildState.FAILED),
        ("FAILED_INITIATING_BUILD", BuildState.FAILED),
        ("REMOTE_BUILD_UNKNOWN", BuildState.FAILED),
        ("REMOTE_BUILD_CANCELLED", BuildState.CANCELLED),
        ("REMOTE_BUILD_TIMED_OUT", BuildState.TIMED_OUT),
        ("A_STATUS_FROM_THE_FUTURE", BuildState.RUNNING),  # keeps polling; the deadline bounds it
    ],
)
def test_build_statuses(status: str, state: BuildState) -> None:
    assert build_state(status) is state


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("INITIATING_DEPLOYMENT", DeploymentState.DEPLOYING),
        ("PENDING_DEPLOYMENT", DeploymentState.DEPLOYING),
        ("UNSET", DeploymentState.DEPLOYING),
        ("SUCCESSFUL_DEPLOYMENT", DeploymentState.SERVING),
        ("FAILED_UNDEPLOYMENT", DeploymentState.SERVING),
        ("FAILED_DEPLOYMENT", DeploymentState.FAILED),
        ("FAILED_INITIATING_DEPLOYMENT", DeploymentState.FAILED),
        ("CANCELLED_DEPLOYMENT", DeploymentState.FAILED),
        ("SUCCESSFUL_UNDEPLOYMENT", DeploymentState.STOPPED),
        ("ALL_BUILDS_UNDEPLOYED", DeploymentState.STOPPED),
        ("SOMETHING_NEW", DeploymentState.DEPLOYING),
    ],
)
def test_deployment_statuses(status: str, state: DeploymentState) -> None:
    assert deployment_state(status) is state


@pytest.mark.sdk
def test_the_tables_name_every_status_the_sdk_knows(sdk) -> None:
    assert set(BUILD_STATES) == set(sdk.build_v1.BuildStatus.keys())
    assert set(DEPLOYMENT_STATES) == set(sdk.deployment.ModelDeploymentStatus.keys())


def test_a_run_tag_is_stable_short_and_plain() -> None:
    tag = run_tag("retrain__manual__2026-01-01T00:00:00+00:00")
    assert tag == run_tag("retrain__manual__2026-01-01T00:00:00+00:00")
    assert tag != run_tag("retrain__manual__2026-01-02T00:00:00+00:00")
    assert tag.startswith("airflow-run-") and len(tag) == 36
    assert tag.replace("-", "").isalnum()


def test_key_values() -> None:
    assert key_values(["A=1", "B=x=y", "EMPTY=", "=nokey", "FLAG"]) == {"A": "1", "B": "x=y", "EMPTY": "", "FLAG": ""}
    assert key_values({"lr": 0.1}) == {"lr": "0.1"}
    assert key_values(None) == {}


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("2Gi", (2, "GIB")), ("512Mi", (512, "MIB")), ("4 GiB", (4, "GIB")), ("256", (256, "MIB")), ("1mib", (1, "MIB"))],
)
def test_memory(text: str, parsed: tuple[int, str]) -> None:
    assert memory(text, what="m") == parsed


@pytest.mark.parametrize("text", ["2GB", "2.5Gi", "", None, "lots"])
def test_bad_memory_names_the_field(text: str | None) -> None:
    with pytest.raises(ValueError, match=r"deployment_spec\.memory = .*expected '<integer>"):
        memory(text, what="deployment_spec.memory")


@pytest.mark.parametrize(
    ("text", "column_type", "value"),
    [
        ("0.25", "DOUBLE", 0.25),
        ("3", "DOUBLE", 3.0),
        ("42", "BIGINT", 42),
        ("true", "BOOLEAN", True),
        ("0.25", "STRING", "0.25"),  # a declared text column stays text
        ("0.25", "", 0.25),  # CSV: no types, numbers read as numbers
        ("7", "", 7),
        ("-7", "INVALID_TYPE", -7),
        ("churn", "", "churn"),
        ("", "DOUBLE", None),
        ("NULL", "", None),
        ("nan", "", float("nan")),
    ],
)
def test_typed_values(text: str, column_type: str, value: object) -> None:
    result = typed(text, column_type)
    if isinstance(value, float) and value != value:
        assert isinstance(result, float) and result != result
    else:
        assert result == value and type(result) is type(value)


def test_a_non_number_in_a_numeric_column_is_an_error() -> None:
    with pytest.raises(ValueError, match="sent 'abc' in a DOUBLE column"):
        typed("abc", "DOUBLE")


def test_typed_rows_pad_missing_types() -> None:
    assert typed_rows([["1", "x", "2.5"]], ["INT"]) == ((1, "x", 2.5),)


def test_metrics_come_back_as_logged() -> None:
    as_float32 = struct.unpack("<f", struct.pack("<f", 0.9))[0]
    assert as_float32 != 0.9 and metric(as_float32) == 0.9
    assert metric(struct.unpack("<f", struct.pack("<f", 0.8123))[0]) == 0.8123
    assert metric(3.0) == 3.0


def test_endpoint() -> None:
    assert endpoint("https://models.acme.ml/", "churn") == "https://models.acme.ml/v1/churn/predict"
    assert endpoint("models.acme.ml", "churn") == "https://models.acme.ml/v1/churn/predict"
    assert endpoint("", "churn") == ""


def test_shown_uri_drops_credentials_and_subdir() -> None:
    assert shown_uri("https://user:s3cret@github.com/acme/m.git#models/x") == "https://github.com/acme/m.git"
    assert shown_uri("https://github.com/acme/m.git") == "https://github.com/acme/m.git"
