"""A small valid queue YAML whose line numbers the schema tests rely on (line N is noted at the end)."""

from __future__ import annotations

from pathlib import Path

BASE = """\
skills:
  billing: {}
  support: {}
hours:
  office:
    timezone: Asia/Shanghai
    weekly:
      mon-fri: ["08:00-18:00"]
penalty_rules:
  experts:
    start_max_penalty: 2
    widen:
      - {after: 30, max_penalty: 5}
queues:
  billing-en:
    skill: billing
    language: en
    overflow: support-en
    hours: office
    penalty_rule: experts
  support-en:
    skill: support
    language: en
agents:
  alice:
    name: Alice
    interface: PJSIP/1001
    skills: {billing: 10, support: 5}
    languages: [en]
  bob:
    name: Bob
    interface: PJSIP/1002
    skills: {support: 7}
    languages: [en]
vip:
  tiers:
    gold: {priority: 10}
  callers:
    - numbers: ["+8613800138000", "555*"]
      tier: gold
routing:
  default_queue: support-en
  intents:
    bill: billing
"""


def write_yaml(tmp_path: Path, old: str = "", new: str = "") -> Path:
    """The base YAML with one unique fragment replaced, written to tmp_path/queues.yaml."""
    text = BASE
    if old:
        assert text.count(old) == 1, f"fragment {old!r} must occur exactly once"
        text = text.replace(old, new)
    path = tmp_path / "queues.yaml"
    path.write_text(text, encoding="utf-8")
    return path
