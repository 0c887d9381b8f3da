"""OpenLineage for the FrogML operators: what each read and produced, as ``OperatorLineage``.

Imported only inside the operators' ``get_openlineage_facets_on_*`` methods, which the OpenLineage
provider calls when it is installed: parsing a DAG or running a task without it imports nothing of
OpenLineage. Datasets line up with the assets of ``assets.py``: ``frogml://builds`` / ``<model_id>``
and ``frogml://models`` / ``<model_id>/<variation>``; folders as OpenLineage names them (``file`` +
path, ``s3://bucket`` + key). The run facet ``frogml`` carries the build id, metrics, gate decision and
the metric crossing's evaluation; nothing secret (the operators' extras are secret-free already).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

import attrs
from airflow.providers.common.compat.openlineage.facet import Dataset, RunFacet
from airflow.providers.openlineage.extractors import OperatorLineage

from frogml_airflow_provider.assets import build_uri, model_uri, output_uri, public_url

# The facet's schema is this class (documented in the README, "Assets and lineage"); no published JSON schema yet.
_SCHEMA = "urn:airflow-provider-frogml:facet:FrogMLRunFacet:1"
_TABLE = re.compile(r"\b(?:from|join)\s+([A-Za-z_][\w.]*|\"[^\"]+\"|`[^`]+`)", re.IGNORECASE)


@attrs.define
class FrogMLRunFacet(RunFacet):
    """What a FrogML task did on the platform (``frogml`` run facet)."""

    model_id: str
    automation: str = ""
    platform: str = ""
    build_id: str | None = None
    metrics: dict[str, Any] | None = None
    gate: dict[str, Any] | None = None
    evaluation: dict[str, Any] | None = None
    variation: str | None = None
    endpoint: str | None = None
    job_id: str | None = None
    error: str | None = None

    @staticmethod
    def _get_schema() -> str:
        return _SCHEMA


def lineage(inputs: list[Any], outputs: list[Any], facet: dict[str, Any] | None, model_id: str) -> OperatorLineage:
    """An ``OperatorLineage`` of datasets and the ``frogml`` run facet built from a task's extra."""
    known = {field.name for field in attrs.fields(FrogMLRunFacet)}
    fields = {key: value for key, value in (facet or {}).items() if key in known and value is not None}
    fields.setdefault("model_id", model_id)
    return OperatorLineage(inputs=inputs, outputs=outputs, run_facets={"frogml": FrogMLRunFacet(**fields)})


def build_dataset(model_id: str) -> Dataset:
    return _dataset(build_uri(model_id))


def model_dataset(model_id: str, variation: str) -> Dataset:
    return _dataset(model_uri(model_id, variation))


def git_dataset(git_uri: str) -> Dataset | None:
    """The git repository a build reads: its URL without login; a local path as a ``file`` dataset."""
    uri = public_url(git_uri)
    if not uri:
        return None
    if "://" not in uri:
        return Dataset(namespace="file", name=uri)
    return _dataset(uri)


def folder_dataset(location: str) -> Dataset | None:
    """A batch folder (an absolute path, ``bucket/folder`` or a URI) as OpenLineage names it."""
    uri = output_uri(location)
    return _dataset(uri) if uri else None


def analytics_datasets(sql: str, platform: str) -> list[Dataset]:
    """The tables a metric or threshold query reads, in the platform's analytics (best effort: FROM/JOIN)."""
    names = dict.fromkeys(match.strip('"`') for match in _TABLE.findall(sql or ""))
    return [Dataset(namespace=f"frogml-analytics://{platform or 'unknown'}", name=name) for name in names]


def metric_datasets(inlets: list[Any], platform: str) -> list[Dataset]:
    """The tables the metric query of a metric-based automation reads (its watcher's trigger, in the
    first task's inlets): the run's input when a crossing started it."""
    found: list[Dataset] = []
    for inlet in inlets:
        for watcher in getattr(inlet, "watchers", None) or ():
            found += analytics_datasets(str(getattr(watcher.trigger, "sql_query", "") or ""), platform)
    return found


def _dataset(uri: str) -> Dataset:
    parts = urlsplit(uri)
    if parts.scheme == "file":
        return Dataset(namespace="file", name=unquote(parts.path))
    return Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=unquote(parts.path).lstrip("/") or "/")
