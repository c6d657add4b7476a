"""The service's list of Asterisk modules and contexts matches what the dialplan uses and README names."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from ivr.asterisk_check import CONTEXTS, MODULES
from ivr.fakepbx.ami_core import load_dialplan

REPO = Path(__file__).resolve().parents[3]
# Applications of Asterisk's core (pbx_builtins.c, pbx_variables.c): no module to load.
CORE_APPS = {"Answer", "Goto", "GotoIf", "Hangup", "NoOp", "Set"}
FUNCTION = re.compile(r"\$\{([A-Z_]+)\(|^([A-Z_]+)\(.*\)=")  # ${FUNC(...)} or Set(FUNC(...)=...)


def shipped_dialplan(tmp_path: Path):
    """extensions_ivr.conf with the generated include next to it, as in /etc/asterisk."""
    shutil.copy(REPO / "dialplan" / "extensions_ivr.conf", tmp_path)
    shutil.copy(REPO / "tests" / "fixtures" / "asterisk-config" / "extensions_ivr_queues.conf", tmp_path)
    return load_dialplan(tmp_path, "extensions_ivr.conf")


def test_every_application_and_function_of_the_dialplan_has_its_module_listed(tmp_path):
    priorities = [p for context in shipped_dialplan(tmp_path).values() for p in context.priorities]
    apps = {p.app for p in priorities} | {"AudioSocket"}  # the bot runs AudioSocket through EXEC
    functions = {name for p in priorities for match in FUNCTION.findall(p.data) for name in match if name}
    apps |= {app for p in priorities for app in re.findall(r"\?([A-Za-z]+)\(", p.data)}  # ExecIf(c?App())
    provided = {name for module in MODULES for name in module.provides}
    assert apps - CORE_APPS - provided == set()
    assert functions - provided == set()
    assert {"DIALPLAN_EXISTS", "CDR", "IF", "LEN", "FILTER", "CALLERID"} <= functions


def test_the_contexts_checked_are_those_the_dialplan_defines(tmp_path):
    assert {needed.name for needed in CONTEXTS} == set(shipped_dialplan(tmp_path))


def test_readme_lists_every_module():
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Asterisk side") : readme.index("## Configuration")]
    assert [m.name for m in MODULES if f"`{m.name}`" not in section] == []
