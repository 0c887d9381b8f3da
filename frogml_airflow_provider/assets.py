"""What a FrogML DAG produces, as Airflow assets other DAGs can be scheduled on.

- ``frogml_model(model_id, variation)``: ``frogml://models/<model_id>/<variation>``, one asset per
  model and variation; the deploy task emits an event each time a build starts serving there.
- ``frogml_build(model_id)``: ``frogml://builds/<model_id>``; the build task emits an event per
  successful build.
- ``frogml_batch_output(dag_id)``: an asset alias; ``run_batch`` attaches to it the folder it wrote,
  on the scheme Airflow and OpenLineage use for it (``file:///...`` locally, ``s3://bucket/...`` on
  JFrog ML), known only when the job ran (the platform decides where a bucket is).

Each event's ``extra`` says what happened (build id, metrics, the gate's comparison, the endpoint...)
and holds nothing secret: URLs lose their user info and query (``public_url``), and the platform is
named by its kind only. ``normalize_uri`` is registered for the ``frogml`` scheme in the provider info.

    from frogml_airflow_provider.assets import frogml_model

    @dag(schedule=[frogml_model("iris-classifier")])
    def smoke_test(): ...
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from airflow.sdk import Asset, AssetAlias

SCHEME = "frogml"
GROUP = "frogml"
_KINDS = {"models": 2, "builds": 1}  # netloc -> number of path segments after it


def frogml_model(model_id: str, variation: str = "default") -> Asset:
    """The asset of ``model_id`` deployed in ``variation``: schedule a DAG on it to run after each deploy."""
    return Asset(uri=model_uri(model_id, variation), group=GROUP)


def frogml_build(model_id: str) -> Asset:
    """The asset of ``model_id``'s builds: an event per successful build (id and metrics in ``extra``)."""
    return Asset(uri=build_uri(model_id), group=GROUP)


def frogml_batch_output(dag_id: str) -> AssetAlias:
    """The alias the ``run_batch`` task of DAG ``dag_id`` attaches its output folder's asset to."""
    return AssetAlias(name=f"{SCHEME}-batch-output/{dag_id}", group=GROUP)


def model_uri(model_id: str, variation: str = "default") -> str:
    return f"{SCHEME}://models/{_segment(model_id, 'model_id')}/{_segment(variation or 'default', 'variation')}"


def build_uri(model_id: str) -> str:
    return f"{SCHEME}://builds/{_segment(model_id, 'model_id')}"


def normalize_uri(parts: SplitResult) -> SplitResult:
    """Airflow's normalizer for ``frogml://`` (provider info ``asset-uris``): one spelling per asset.

    ``frogml://models/<model_id>/<variation>`` or ``frogml://builds/<model_id>``; the kind is
    case-insensitive, ids keep their case. Anything else is refused with the forms it may take.
    """
    kind = parts.netloc.lower()
    segments = [unquote(s) for s in parts.path.strip("/").split("/")] if parts.path.strip("/") else []
    if kind not in _KINDS or len(segments) != _KINDS[kind] or not all(s.strip() for s in segments):
        raise ValueError(
            f"{urlunsplit(parts)!r} is not a FrogML asset URI: use frogml://models/<model_id>/<variation> "
            "(frogml_model()) or frogml://builds/<model_id> (frogml_build())"
        )
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    return SplitResult(SCHEME, kind, path, "", "")


def output_uri(location: str) -> str | None:
    """A batch job's folder as an asset URI: an absolute path -> ``file://``; ``bucket/folder`` (JFrog
    ML) -> ``s3://bucket/folder``; a URI is kept without its user info. None when there is none."""
    location = (location or "").strip()
    if not location:
        return None
    if "://" in location:
        return public_url(location)
    if location.startswith("/"):
        return "file://" + quote(location.rstrip("/") or "/")
    return "s3://" + quote(location.strip("/"))


def public_url(url: str) -> str:
    """``url`` without user info, query or fragment: nothing a credential may hide in."""
    parts = urlsplit(url.strip())
    if not parts.scheme:
        return url.strip()
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON: infinite or NaN numbers (a gate with nothing to beat) become None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def find_outlet(outlets: list[Any], *, uri_prefix: str = "", alias_prefix: str = "") -> Any | None:
    """The operator's outlet among those the renderer declared (a hand-built operator may have none)."""
    for outlet in outlets:
        if uri_prefix and isinstance(outlet, Asset) and outlet.uri.startswith(uri_prefix):
            return outlet
        if alias_prefix and isinstance(outlet, AssetAlias) and outlet.name.startswith(alias_prefix):
            return outlet
    return None


def _segment(value: str, what: str) -> str:
    value = str(value).strip()
    if not value:
        raise ValueError(f"a FrogML asset needs a non-empty {what}")
    return quote(value, safe="")
