"""A write that fails halfway through ``register``: the platform ends as it was before the run.

The mock's state is compared byte for byte (every stored ``Automation``, by id) before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from tests.support.jfrog import batch, build

Cli = Callable[..., SimpleNamespace]


@pytest.fixture
def seeded(mock: Any, folder: Callable[..., Path], cli: Cli) -> Path:
    """Two automations already registered; the folder then changes one and adds three."""
    path = folder(a_existing=build("a_existing"), b_kept=batch("b_kept"))
    assert cli("register", path, "--yes").code == 0
    folder(
        a_existing=build("a_existing", cron="15 4 * * *"),  # update
        b_kept=batch("b_kept"),  # unchanged
        c_new=build("c_new"),  # create #1
        d_new=build("d_new", model="fraud"),  # create #2
        e_new=batch("e_new"),  # create #3
    )
    return path


def test_the_second_create_failing_undoes_the_first_create_and_the_update(mock: Any, seeded: Path, cli: Cli) -> None:
    before = mock.state()
    mock.fail("CreateAutomation", 2)
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert "updated    a_existing" in done.out and "created    c_new" in done.out
    assert "created    d_new" not in done.out and "e_new (id" not in done.out  # stopped there
    assert "rolled back: deleted c_new" in done.err
    assert "rolled back: restored a_existing" in done.err
    assert "registration stopped at create of 'd_new'" in done.err
    assert "failed (INTERNAL): injected failure of CreateAutomation" in done.err
    assert "rolled back: JFrog ML is as it was before this run (2 undo step(s))" in done.err
    assert mock.state() == before


def test_a_create_whose_reply_was_lost_is_found_and_deleted(mock: Any, seeded: Path, cli: Cli) -> None:
    """The write landed but the client saw DEADLINE_EXCEEDED: listing again finds it."""
    before = mock.state()
    mock.fail("CreateAutomation", 2, after_write=True)
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert "failed (DEADLINE_EXCEEDED)" in done.err
    assert "rolled back: deleted d_new" in done.err and "rolled back: deleted c_new" in done.err
    assert mock.state() == before


def test_a_failed_update_that_landed_anyway_is_restored(mock: Any, seeded: Path, cli: Cli) -> None:
    before = mock.state()
    mock.fail("UpdateAutomation", 1, after_write=True)
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert "registration stopped at update of 'a_existing'" in done.err
    assert "rolled back: restored a_existing" in done.err
    assert mock.calls["CreateAutomation"] == 2  # the two seeded ones: no create was attempted
    assert mock.state() == before


def test_the_last_write_failing_undoes_all_the_others(mock: Any, seeded: Path, cli: Cli) -> None:
    before = mock.state()
    mock.fail("CreateAutomation", 3)
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert done.err.count("rolled back: deleted") == 2 and "(3 undo step(s))" in done.err
    assert mock.state() == before


def test_a_failed_lookup_writes_nothing(mock: Any, seeded: Path, cli: Cli) -> None:
    before = mock.state()
    mock.fail("ListAutomations", 1, code="UNAVAILABLE")
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert "JFrog ML ListAutomations for the automations failed (UNAVAILABLE)" in done.err
    assert "Check that grpc://" in done.err and "is reachable" in done.err
    assert mock.state() == before and mock.calls["UpdateAutomation"] == 0


def test_an_undo_that_fails_is_named_so_it_can_be_fixed_by_hand(mock: Any, seeded: Path, cli: Cli) -> None:
    mock.fail("CreateAutomation", 2)
    mock.fail("DeleteAutomation", 1)
    done = cli("register", seeded, "--yes")
    assert done.code == 1
    assert "ROLLBACK INCOMPLETE: these could not be undone; fix them on JFrog ML by hand" in done.err
    (left,) = [a.automation_id for a in mock.automations.values() if a.automation_spec.automation_name == "c_new"]
    assert f"c_new (id {left}): created, not deleted: JFrog ML DeleteAutomation" in done.err
    assert "rolled back: restored a_existing" in done.err  # the other undo still ran
