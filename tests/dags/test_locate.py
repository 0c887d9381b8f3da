"""What an automation file that fails to import is told (``dags.locate``, through ``load_automations``):
a name it never defined gets the same "did you mean" as an import of it, and a keyword that a spec
class does not take names the class, the closest keyword and every valid one, for every such
keyword in the file at once."""

from __future__ import annotations

from pathlib import Path

from frogml_airflow_provider.dags.loading import load_automations

HEADER = "from frogml.core.automations import *\n"


def problems(tmp_path: Path, source: str, name: str = "file.py") -> list[tuple[str, int | None, str]]:
    folder = tmp_path / "automations"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(source)
    return [(error.file, error.line, error.message) for error in load_automations(folder).errors]


BUILD = (
    "Automation(name={name!r}, model_id='m', trigger={trigger},\n"
    "    action=FrogmlBuildDeploy(BuildSpecifications(git_uri='https://g.example/r.git'),\n"
    "        BuildMetric('f1', ThresholdDirection.ABOVE, '0.5'), DeploymentSpecifications()))\n"
)


def test_a_typo_through_import_star_gets_the_same_suggestion_as_a_named_import(tmp_path: Path) -> None:
    star = problems(tmp_path, HEADER + "a = " + BUILD.format(name="a", trigger="NoneTriger()"), "star.py")
    assert star == [("star.py", 2, "NameError: name 'NoneTriger' is not defined: did you mean 'NoneTrigger'?")]
    named = problems(tmp_path, "from frogml.core.automations import NoneTriger\n", "named.py")
    assert ("did you mean 'NoneTrigger'?") in named[-1][2]


def test_a_name_close_to_no_known_one_gets_no_guess(tmp_path: Path) -> None:
    found = problems(tmp_path, HEADER + "a = " + BUILD.format(name="a", trigger="zzqx_unknown()"))
    assert found == [("file.py", 2, "NameError: name 'zzqx_unknown' is not defined")]


def test_a_qwak_era_name_through_import_star_says_its_frogml_name(tmp_path: Path) -> None:
    (found,) = problems(tmp_path, HEADER + "action_class = QwakBuildDeploy\n")
    assert found[1] == 2
    assert "QwakBuildDeploy is the Qwak-era name, frogml calls it FrogmlBuildDeploy" in found[2]
    assert "frogml-airflow upgrade FILE" in found[2]


UNKNOWN_KEYWORDS = HEADER + (
    "a = Automation(name='a', model_id='m', trigger=ScheduledTrigger(cron='0 0 * * *'),\n"
    "    action=FrogmlBuildDeploy(build_spec=BuildSpecifications(git_uri='https://g/r.git', git_brnch='main'),\n"
    "        deployment_condition=BuildMetric('f1', ThresholdDirection.ABOVE, '0.5'),\n"
    "        deployment_spec=DeploymentSpecifications(replicas=2)))\n"
    "b = Automation(name='b', model_id='m', trigger=NoneTrigger(), schedule='daily',\n"
    "    action=FrogmlBuildDeploy(BuildSpecifications(git_uri='https://g.example/r.git'),\n"
    "        BuildMetric('f1', ThresholdDirection.ABOVE, '0.5'), DeploymentSpecifications()))\n"
)


def test_every_unknown_keyword_of_a_file_is_named_with_its_class_line_and_the_valid_keywords(tmp_path: Path) -> None:
    found = problems(tmp_path, UNKNOWN_KEYWORDS)
    assert [(file, line) for file, line, _ in found] == [("file.py", 3), ("file.py", 5), ("file.py", 6)]
    first, second, third = (message for _, _, message in found)
    assert first.startswith(
        "automation 'a': action.build_spec.git_brnch: BuildSpecifications() takes no keyword 'git_brnch': "
        "did you mean 'git_branch'? its keywords are parameters, git_uri, tags,"
    )
    assert second.startswith(
        "automation 'a': action.deployment_spec.replicas: DeploymentSpecifications() takes no keyword 'replicas': "
        "its keywords are number_of_http_server_workers,"
    )
    assert "number_of_pods" in second
    assert third.startswith("automation 'b': schedule: Automation() takes no keyword 'schedule': its keywords are id,")
    assert "TypeError" not in " ".join([first, second, third])


def test_unknown_keywords_are_listed_whatever_stopped_the_file(tmp_path: Path) -> None:
    source = (
        HEADER + "raise_here = undefined_name\n" + "b = " + BUILD.format(name="b", trigger="NoneTrigger(every='day')")
    )
    found = problems(tmp_path, source)
    assert [(line, message.split(":")[0]) for _, line, message in found] == [
        (2, "NameError"),
        (3, "automation 'b'"),
    ]
    assert found[1][2] == (
        "automation 'b': trigger.every: NoneTrigger() takes no keyword 'every': write NoneTrigger() without arguments"
    )


def test_a_type_error_of_the_files_own_code_is_reported_as_it_is(tmp_path: Path) -> None:
    source = "def helper(x):\n    return x\n\nhelper(y=1)\n"
    assert problems(tmp_path, source) == [("file.py", 4, "TypeError: helper() got an unexpected keyword argument 'y'")]
