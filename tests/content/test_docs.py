"""The README stays true: every setting is documented, and the two commands are what CI runs."""

from service.settings import Settings
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    for name in Settings.model_fields:
        assert f"| `BZRA_{name.upper()}` |" in README, name


def test_readme_first_screen_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    first_screen = "\n".join(README.splitlines()[:25])
    assert "make run" in first_screen and "make test" in first_screen
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_writing_rules_worked_example_lints_and_passes(tmp_path) -> None:
    import re
    import shutil

    from service.knowledge.loader import load_knowledge
    from service.authoring.rule_tests import run_rule_tests
    from service.settings import Settings

    rule, tests, overrides = re.findall(r"```yaml\n(.*?)```", README, re.S)[:3]
    directory = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", directory)
    (directory / "sleep-apnoea.yaml").write_text(rule)
    (directory / "sleep-apnoea.test.yaml").write_text(tests)
    (tmp_path / "overrides.yaml").write_text(overrides)
    results, problems = run_rule_tests(directory, load_knowledge(), Settings(), tmp_path / "overrides.yaml")
    assert problems == []
    by_name = {r.name: r for r in results}
    assert by_name["temazepam for a man with sleep apnoea"].passed
    assert by_name["no sleep apnoea recorded"].passed
