"""The dialogue evaluation set's files load, and a malformed case is refused with its place named."""

from pathlib import Path

import pytest

from tests.support.dialogue_eval import EVAL_DIR, load_cases


@pytest.mark.parametrize("split", ["dev", "heldout"])
def test_each_split_loads_with_unique_ids_and_string_turns(split):
    cases = load_cases(EVAL_DIR / f"{split}.yaml")
    assert len(cases) >= 200 and len({c.id for c in cases}) == len(cases)
    assert all(c.split == split and all(isinstance(t, str) and t for t in c.turns) for c in cases)


def test_a_bare_yes_is_refused_not_read_as_true(tmp_path: Path):
    path = tmp_path / "dev.yaml"
    path.write_text(
        "cases:\n- id: dev-en-001\n  language: en\n  returning: true\n  vip: false\n  at: start\n"
        "  turns: [yes]\n  expect: {intent: null, slots: {}, transfer: true, reason: flow}\n"
    )
    with pytest.raises(ValueError, match=r"cases\[0\] \(dev-en-001\).*quote yes"):
        load_cases(path)
