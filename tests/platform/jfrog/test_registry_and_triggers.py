"""From a ``frogml`` connection to the JFrog ML platform: hook -> locator -> registry -> triggers."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from frogml_airflow_provider.hooks.frogml import FrogMLHook
from frogml_airflow_provider.platform.jfrog import JFrogMLPlatform
from frogml_airflow_provider.platform.registry import platform_from_locator
from frogml_airflow_provider.triggers.build import FrogMLBuildTrigger
from frogml_airflow_provider.triggers.deployment import FrogMLDeploymentTrigger
from tests.support.jfrog import ENV_ID, MODEL, TOKEN, connection


def test_the_registry_builds_a_jfrog_platform_from_its_locator() -> None:
    locator = {"kind": "jfrog", "conn_id": "frogml_prod", "url": "https://acme.jfrog.io"}
    platform = platform_from_locator(locator)
    assert isinstance(platform, JFrogMLPlatform)
    assert (platform.conn_id, platform.url) == ("frogml_prod", "https://acme.jfrog.io")
    assert platform.locator() == locator


def test_a_jfrog_connection_gives_the_hook_a_jfrog_platform(monkeypatch: pytest.MonkeyPatch) -> None:
    body = {"conn_type": "frogml", "host": "https://acme.jfrog.io", "password": TOKEN}
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", json.dumps(body))
    hook = FrogMLHook()
    assert hook.locator == {"kind": "jfrog", "conn_id": "frogml_default", "url": "https://acme.jfrog.io"}
    assert TOKEN not in json.dumps(hook.locator)  # triggers carry it into the metadata database
    platform = hook.platform
    assert isinstance(platform, JFrogMLPlatform) and platform.conn_id == "frogml_default"


def run_trigger(trigger: Any) -> dict[str, Any]:
    """Serialize, rebuild (as the triggerer does), run until the first event."""
    _path, kwargs = trigger.serialize()
    rebuilt = type(trigger)(**kwargs)

    async def first() -> dict[str, Any]:
        async for event in rebuilt.run():
            return dict(event.payload)
        raise AssertionError("no event")

    return asyncio.run(first())


@pytest.mark.sdk
def test_the_build_trigger_follows_a_jfrog_build(control_plane, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    control_plane.given_build("b-t", "IN_PROGRESS")
    polls = {"n": 0}

    def progress(build: Any) -> None:
        polls["n"] += 1
        if polls["n"] == 2:
            control_plane.set_status("b-t", "SUCCESSFUL", {"f1_score": 0.91})

    control_plane.builds.on_get = progress
    locator = FrogMLHook().locator
    event = run_trigger(
        FrogMLBuildTrigger(platform=locator, build_id="b-t", deadline=time.time() + 60, poll_interval=0.05)
    )
    assert (event["state"], event["build_id"], event["model_id"]) == ("SUCCESSFUL", "b-t", MODEL)
    assert event["metrics"] == {"f1_score": 0.91} and event["timed_out"] is False


@pytest.mark.sdk
def test_the_deployment_trigger_waits_for_the_build_to_serve(control_plane, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_FROGML_DEFAULT", connection(control_plane.port))
    control_plane.given_build("b-d", "SUCCESSFUL")
    locator = FrogMLHook().locator
    platform_from_locator(locator).deploy(MODEL, "b-d", {"variation_name": "default"})
    control_plane.deployments.auto_serve = True
    event = run_trigger(
        FrogMLDeploymentTrigger(
            platform=locator,
            model_id=MODEL,
            variation="default",
            build_id="b-d",
            deadline=time.time() + 60,
            poll_interval=0.05,
        )
    )
    assert (event["state"], event["build_id"]) == ("SERVING", "b-d")
    assert event["endpoint"].endswith(f"/v1/{MODEL}/predict")
    assert control_plane.deployments.active_deployments[(MODEL, "default", ENV_ID)]["build_id"] == "b-d"
