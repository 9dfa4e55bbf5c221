"""`confianza assess` as a ministry would run it: the README's worked example gives the README's figures,
the bundled frameworks validate, and every bad file is refused with its place and a non-zero exit."""
import json
import re

import pytest

from conftest import ROOT, run_cli


def readme_example(tmp_path):
    readme = (ROOT / "README.md").read_text()
    framework = re.search(r"\*\*Framework file\*\*.*?```json\n(.*?)```", readme, re.S).group(1)
    answers = re.search(r"\*\*Answers file\*\*: `(.*?)` \(optional", readme, re.S).group(1).replace("\n", " ")
    (tmp_path / "mini.json").write_text(framework)
    (tmp_path / "answers.json").write_text(answers)
    return tmp_path / "mini.json", tmp_path / "answers.json"


def test_the_readme_worked_example_gives_its_figures(tmp_path):
    framework, answers = readme_example(tmp_path)
    scored = run_cli("assess", "score", "--framework", str(framework), "--answers", str(answers), "--json")
    assert scored.returncode == 0, scored.stderr
    figures = json.loads(scored.stdout)
    assert figures["total"] == 15.625 and figures["tier"] == "low" and figures["exact"] is True
    assert figures["pillars"] == {"legal": 15.625, "cooperation": 0.0}
    assert figures["indicators"]["L1"] == 13.125 and figures["indicators"]["L2"] == 2.5
    table = run_cli("assess", "score", "--framework", str(framework), "--answers", str(answers))
    assert "15.63 / 30.00" in table.stdout and "low" in table.stdout


@pytest.mark.parametrize("name", ["five-pillars", "evidence-index"])
def test_the_bundled_frameworks_validate(name):
    checked = run_cli("assess", "validate-framework", name)
    assert checked.returncode == 0 and "valid" in checked.stdout, checked.stderr


@pytest.mark.parametrize("content, place", [
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 20, "indicators": []}]}', "$.pillars[0].indicators"),
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": -5, "indicators": []}]}', "$.pillars[0].max"),
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 1, "indicators": [{"id": "i", "questions": []}]}]}', "$.pillars[0].indicators[0].questions"),
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 1, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "yesno", "text": "?"}]}]}, {"id": "p", "max": 1, "indicators": []}]}', "$.pillars[1].id"),
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": 1, "indicators": [{"id": "i", "questions": [{"id": "q", "type": "yesno", "text": "?"}]}]}], "tiers": [{"id": "a", "min": 1}, {"id": "b", "min": 9}]}', "$.tiers[1].min"),
    ('{"id": "x", "edition": "1", "title": "T", "pillars": [{"id": "p", "max": "20"', "line 1"),
    ('', "$"),
    ('[1, 2, 3]', "$"),
])
def test_bad_frameworks_are_refused_with_their_place(tmp_path, content, place):
    path = tmp_path / "bad.json"
    path.write_text(content)
    checked = run_cli("assess", "validate-framework", str(path))
    assert checked.returncode != 0
    assert place in checked.stderr and "bad.json" in checked.stderr, checked.stderr


def test_bad_answers_and_bad_bytes_are_refused(tmp_path):
    framework, _ = readme_example(tmp_path)
    cases = {
        '{"answers": {"L9": "yes"}}': '$.answers["L9"]',
        '{"answers": {"L1.1": "partial"}}': '$.answers["L1.1"]',
        '{"answers": {"L1.2": ["preserve", "fly"]}}': '$.answers["L1.2"]',
        '{"answers": {"L1.2": "yes"}}': '$.answers["L1.2"]',
        '{"framework": "other", "answers": {}}': "$.framework",
        '{"country": "Uruguay", "answers": {}}': "$.country",
        '{"answers": {"L1.1": true}}': '$.answers["L1.1"]',
        '{"answers": "yes"}': "$.answers",
    }
    for content, place in cases.items():
        path = tmp_path / "answers.json"
        path.write_text(content)
        scored = run_cli("assess", "score", "--framework", str(framework), "--answers", str(path))
        assert scored.returncode != 0 and place in scored.stderr, (content, scored.stderr)
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('{"answers": {}, "country": "Perú"}'.encode("latin-1"))
    refused = run_cli("assess", "score", "--framework", str(framework), "--answers", str(latin1))
    assert refused.returncode != 0 and "UTF-8" in refused.stderr
    huge = tmp_path / "huge.json"
    huge.write_text('{"answers": {' + ", ".join(f'"q{i}": "yes"' for i in range(200_000)) + "}}")
    refused = run_cli("assess", "score", "--framework", str(framework), "--answers", str(huge))
    assert refused.returncode != 0 and "q" in refused.stderr
