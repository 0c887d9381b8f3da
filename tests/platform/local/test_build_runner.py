"""What a build checks: a model it could not serve fails the build, saying what to add."""

from __future__ import annotations

from frogml_airflow_provider.platform.base import BuildRequest, BuildState
from frogml_airflow_provider.platform.local.platform import LocalPlatform
from tests.support import TINY_MODEL, spec, wait_build


def test_a_predict_without_frogml_api_fails_the_build(local_platform: LocalPlatform, make_repo) -> None:
    undecorated = TINY_MODEL.replace("    @frogml.api()\n", "")
    assert undecorated != TINY_MODEL
    repo = make_repo(files={"main/model.py": undecorated})
    done = wait_build(local_platform, local_platform.submit_build(BuildRequest("tiny-model", spec(repo), "r")))
    assert done.state is BuildState.FAILED
    assert "TinyModel.predict has no @frogml.api() decorator" in done.error
    assert "Add @frogml.api() on the line above `def predict`" in done.error
    assert "main/model.py, line" in done.error  # where to add it
    assert not (local_platform.state_dir / "builds" / done.build_id / "artifact" / "model.pkl").exists()
