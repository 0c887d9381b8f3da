"""The demo's process sweep finds and stops processes that left its group, its session and its
children: a grandchild in a new session that ignores SIGTERM, orphaned by its parent."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.processes import kill_tagged, new_tag, tagged

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def test_stop_tree_stops_a_detached_orphan_that_ignores_sigterm() -> None:
    tag = new_tag("FROGML_TREE_TEST")
    # The launcher's side, in a process of its own (a subreaper changes the process that calls it):
    # a child starts a grandchild in a new session that ignores SIGTERM, then exits, orphaning it.
    script = textwrap.dedent(
        """
        import subprocess, sys, time
        from frogml_airflow_provider.demo.tree import become_subreaper, descendants, stop_tree
        assert become_subreaper()
        orphan = "setsid bash -c 'trap \\"\\" TERM; sleep 300' >/dev/null 2>&1 & sleep 0.5"
        subprocess.run(["bash", "-c", orphan], check=True)
        time.sleep(0.5)
        adopted = descendants()
        print("adopted", len(adopted), flush=True)
        left = stop_tree(1.0)
        print("left", len(left), "after", flush=True)
        """
    )
    env = {**os.environ, tag: "1"}
    try:
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0] != "adopted 0", "the orphan was not adopted by the subreaper"
        assert lines[1].startswith("left 0"), done.stdout
        assert tagged(tag) == [], "a process of the tree survived"
    finally:
        kill_tagged(tag)
