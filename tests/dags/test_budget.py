"""Each automation file has its own time budget, nested inside whatever SIGALRM timer is running
(Airflow's import timeout), and anything a file raises is that file's error."""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from frogml_airflow_provider.dags.loading import LoadReport, load_automations

HEADER = "from frogml.core.automations import *\n"
GOOD = HEADER + (
    "a = Automation(name={name!r}, model_id='m', trigger=NoneTrigger(), action=BatchExecution("
    "data_specifications=BatchJobDataSpecifications(source_bucket='in', destination_bucket='out', "
    "input_file_type='csv', output_file_type='csv')))\n"
)
SLEEPS = "import time\nx = 1\ntime.sleep(600)\n"


class Outer(BaseException):
    """What the outer (Airflow's) timer raises in these tests."""


@pytest.fixture
def outer_timer() -> Iterator[Callable[[float], Callable[..., None]]]:
    """Arm an outer SIGALRM timer, as Airflow's import timeout does; disarmed and restored after."""
    before = signal.getsignal(signal.SIGALRM)

    def arm(seconds: float) -> Callable[..., None]:
        def handler(signum: int, frame: object) -> None:
            raise Outer(f"outer timer after {seconds} s")

        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        return handler

    yield arm
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, before)


def by_file(report: LoadReport) -> dict[str, str]:
    return {error.file: str(error) for error in report.errors}


def names(report: LoadReport) -> list[str]:
    return [item.automation.name for item in report.automations]


def test_a_file_stuck_at_import_is_stopped_named_with_its_line_and_the_others_load(write_files: Callable) -> None:
    root = write_files({"a.py": GOOD.format(name="a"), "slow.py": SLEEPS, "z.py": GOOD.format(name="z")})
    started = time.monotonic()
    report = load_automations(root, file_timeout=0.5)
    assert time.monotonic() - started < 10
    assert names(report) == ["a", "z"]
    [error] = report.errors
    assert (error.file, error.line) == ("slow.py", 3)
    assert "took longer than 0.5 s to import" in error.message
    assert "at line 3: time.sleep(600)" in error.message
    assert "[frogml] automation_file_timeout" in error.message  # the bound is named, and how to raise it


def test_a_file_catching_exception_cannot_swallow_its_timeout(write_files: Callable) -> None:
    source = "import time\ntry:\n    time.sleep(600)\nexcept Exception:\n    pass\n"
    report = load_automations(write_files({"a.py": source}), file_timeout=0.3)
    assert [(e.file, e.line) for e in report.errors] == [("a.py", 3)]


def test_a_file_stuck_in_a_helper_names_its_own_line_and_the_helper(write_files: Callable) -> None:
    root = write_files(
        {
            "lib/spin.py": "def forever():\n    while True:\n        pass\n",
            "lib/main.py": "import spin\nspin.forever()\n",
        }
    )
    errors = by_file(load_automations(root, file_timeout=0.3))
    assert list(errors) == ["lib/main.py"]
    assert "lib/main.py:2:" in errors["lib/main.py"]
    assert "waiting in forever() at spin.py:" in errors["lib/main.py"]


def test_the_outer_timer_gets_back_its_handler_and_the_time_it_had_left(
    write_files: Callable, outer_timer: Callable[[float], Callable[..., None]]
) -> None:
    root = write_files({"a.py": GOOD.format(name="a"), "slow.py": SLEEPS})
    handler = outer_timer(30)
    started = time.monotonic()
    report = load_automations(root, file_timeout=0.5)
    spent = time.monotonic() - started
    assert names(report) == ["a"] and list(by_file(report)) == ["slow.py"]
    assert signal.getsignal(signal.SIGALRM) is handler
    left, _ = signal.getitimer(signal.ITIMER_REAL)
    assert 30 - spent - 1 < left <= 30 - spent + 0.05


def test_the_outer_deadline_raises_the_outer_timers_own_exception(
    write_files: Callable, outer_timer: Callable[[float], Callable[..., None]]
) -> None:
    root = write_files({"a.py": GOOD.format(name="a"), "slow.py": SLEEPS})
    path_before, modules_before = list(sys.path), set(sys.modules)
    handler = outer_timer(0.5)
    with pytest.raises(Outer):
        load_automations(root, file_timeout=5)  # the whole loader's time runs out first
    assert signal.getsignal(signal.SIGALRM) is handler
    assert sys.path == path_before and set(sys.modules) <= modules_before | {"_strptime"}


def test_a_file_swallowing_its_timeout_still_meets_the_outer_deadline(
    write_files: Callable, outer_timer: Callable[[float], Callable[..., None]]
) -> None:
    # (A file that swallows every exception forever defeats Airflow's own timeout as well; only the
    # dag-processor's dag_file_processor_timeout, which kills the process, ends it.)
    source = "import time\ntry:\n    time.sleep(600)\nexcept BaseException:\n    pass\ntime.sleep(600)\n"
    outer_timer(1.5)
    with pytest.raises(Outer):
        load_automations(write_files({"a.py": source}), file_timeout=0.3)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
        ("raise SystemExit(3)\n", "SystemExit: 3"),
        ("raise GeneratorExit('x')\n", "GeneratorExit: x"),
        ("class Odd(BaseException):\n    pass\nraise Odd('mine')\n", "Odd: mine"),
    ],
    ids=["KeyboardInterrupt", "SystemExit", "GeneratorExit", "own-BaseException"],
)
def test_any_base_exception_a_file_raises_is_its_own_error(write_files: Callable, source: str, says: str) -> None:
    report = load_automations(write_files({"bad.py": source, "good.py": GOOD.format(name="good")}))
    assert names(report) == ["good"]
    assert says in by_file(report)["bad.py"]


# ``raise_signal`` runs the Python handler before it returns: the file is interrupted at that line, or
# says it was not; nothing waits on time, so the machine's load cannot change the outcome.
INTERRUPTS = (
    "import signal\nsignal.raise_signal(signal.SIGINT)\nraise RuntimeError('SIGINT did not interrupt the import')\n"
)


@pytest.fixture
def sigint(request: pytest.FixtureRequest) -> Iterator[None]:
    """SIGINT handled as in an interactive Python (``default_int_handler``), whatever this process
    inherited: started in the background by a shell, or by some CI runners, it is ignored (SIG_IGN),
    and a Ctrl-C could not happen at all."""
    before = signal.signal(signal.SIGINT, request.param)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("sigint", [signal.default_int_handler], indirect=True)
def test_a_real_ctrl_c_still_stops_loading(write_files: Callable, sigint: None) -> None:
    root = write_files({"a.py": INTERRUPTS, "b.py": GOOD.format(name="b")})
    with pytest.raises(KeyboardInterrupt):
        load_automations(root)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


@pytest.mark.parametrize("sigint", [signal.SIG_IGN], indirect=True)
def test_where_ctrl_c_is_ignored_loading_goes_on(write_files: Callable, sigint: None) -> None:
    root = write_files({"a.py": INTERRUPTS, "b.py": GOOD.format(name="b")})
    report = load_automations(root)
    assert names(report) == ["b"] and "SIGINT did not interrupt the import" in by_file(report)["a.py"]
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN


def test_no_budget_and_no_timer_when_it_is_zero(write_files: Callable) -> None:
    source = "import signal\nTIMER = signal.getitimer(signal.ITIMER_REAL)\n" + GOOD.format(name="a")
    report = load_automations(write_files({"a.py": source}), file_timeout=0)
    assert names(report) == ["a"]
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_files_load_without_a_budget(write_files: Callable) -> None:
    root = write_files({"a.py": GOOD.format(name="a")})
    reports: list[LoadReport] = []
    worker = threading.Thread(target=lambda: reports.append(load_automations(root, file_timeout=0.5)))
    worker.start()
    worker.join(30)
    assert [names(report) for report in reports] == [["a"]]
