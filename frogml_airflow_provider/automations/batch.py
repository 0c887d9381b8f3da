"""Batch execution action (SDK: ``frogml.core.automations.batch_execution_action``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from frogml_airflow_provider.automations._checks import MAX_CPUS, Checker
from frogml_airflow_provider.automations._names import BUILD_ID
from frogml_airflow_provider.automations.build_deploy import COMMON_GPU_TYPES
from frogml_airflow_provider.automations.common import Action, SpecModel

FILE_TYPES = ("csv", "feather", "parquet")


@dataclass(repr=False)
class BatchJobDataSpecifications(SpecModel):
    """Where a batch job reads its input and writes its output (secret *names*, not secrets)."""

    access_token_secret_name: str = field(default=None)  # type: ignore[assignment]
    access_secret_secret_name: str = field(default=None)  # type: ignore[assignment]
    session_token_secret_name: str = field(default=None)  # type: ignore[assignment]
    source_bucket: str = field(default=None)  # type: ignore[assignment]
    source_folder: str = field(default=None)  # type: ignore[assignment]
    input_file_type: str = field(default=None)  # type: ignore[assignment]
    destination_bucket: str = field(default=None)  # type: ignore[assignment]
    destination_folder: str = field(default=None)  # type: ignore[assignment]
    output_file_type: str = field(default=None)  # type: ignore[assignment]

    def _check(self, checker: Checker) -> None:
        for name in (
            "access_token_secret_name",
            "access_secret_secret_name",
            "session_token_secret_name",
            "source_folder",
            "destination_folder",
        ):
            checker.text(name, getattr(self, name), required=False)
        checker.text("source_bucket", self.source_bucket)
        checker.text("destination_bucket", self.destination_bucket)
        # The SDK crashes on None and silently sends UNDEFINED for an unknown name.
        checker.choice("input_file_type", self.input_file_type, FILE_TYPES)
        checker.choice("output_file_type", self.output_file_type, FILE_TYPES)


@dataclass(repr=False)
class BatchJobExecutionSpecifications(SpecModel):
    """Compute and timeouts for a batch job; zeros mean the deployed defaults."""

    job_timeout: int = field(default=0)
    task_timeout: int = field(default=0)
    executors: int = field(default=0)
    cpu: float = field(default=0)
    memory: str = field(default="0Mib")
    gpu_type: str = field(default=None)  # type: ignore[assignment]
    gpu_amount: int = field(default=0)
    custom_iam_role_arn: str = field(default="")
    params: dict[str, str] = field(default_factory=dict)
    instance: str = field(default="")

    def _check(self, checker: Checker) -> None:
        for name in ("job_timeout", "task_timeout", "executors", "gpu_amount"):
            checker.number(name, getattr(self, name), whole=True)
        checker.number("cpu", self.cpu, maximum=MAX_CPUS)
        checker.memory("memory", self.memory)
        if isinstance(self.gpu_amount, int) and self.gpu_amount > 0:
            checker.choice("gpu_type", self.gpu_type, COMMON_GPU_TYPES, exact_case=True)
        else:
            checker.text("gpu_type", self.gpu_type, required=False)
        checker.text("custom_iam_role_arn", self.custom_iam_role_arn, required=False)
        checker.str_dict("params", self.params)
        checker.text("instance", self.instance, required=False)


@dataclass(repr=False)
class BatchExecution(Action):
    """Run a batch job on the model (a given build, or the deployed one)."""

    build_id: str = field(default="")
    # The SDK's default factory builds the wrong class (a crash at registration); required here.
    data_specifications: BatchJobDataSpecifications = field(default=None)  # type: ignore[assignment]
    execution_specifications: BatchJobExecutionSpecifications = field(default_factory=BatchJobExecutionSpecifications)

    def _check(self, checker: Checker) -> None:
        checker.identifier("build_id", self.build_id, BUILD_ID, required=False)
        checker.child("data_specifications", self.data_specifications, (BatchJobDataSpecifications,))
        checker.child("execution_specifications", self.execution_specifications, (BatchJobExecutionSpecifications,))
