"""The core part of the fake AMI server: loaded modules (ModuleCheck) and the dialplan (ShowDialPlan).

Mixed into FakeAmiServer (ivr.fakepbx.ami). The dialplan is read from real extensions.conf files the way
pbx_config reads them: `#include`/`#tryinclude` resolve against the config folder (as Asterisk resolves
them against /etc/asterisk, not against the including file), `[context]`, `exten =>`, `same =>` with
`n` and labels, `include =>`. Replies follow Asterisk 20's manager.c (ModuleCheck: Success with an empty
`Version`, or Error "Module not loaded") and pbx.c's manager_show_dialplan (a list of ListDialplan
items, one per priority and include, or Error "Did not find context <name>").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ivr.ami.codec import AmiMessage

if TYPE_CHECKING:
    from ivr.fakepbx.ami import FakeAmiSession

REGISTRAR = "pbx_config"
NOT_CONTEXTS = frozenset(
    {"general", "globals"}
)  # sections of extensions.conf that pbx_config reads as settings
# What a stock Asterisk 20 install loads that the hotline uses, plus the usual channel drivers.
STOCK_MODULES = frozenset(
    {
        "pbx_config", "res_agi", "app_audiosocket", "res_audiosocket", "app_queue", "app_stack", "app_exec",
        "app_verbose", "func_dialplan", "func_logic", "func_global", "func_cdr", "func_strings",
        "func_callerid", "app_dial", "app_playback", "res_musiconhold", "chan_pjsip", "res_pjsip",
        "app_mixmonitor",
    }
)  # fmt: skip


@dataclass
class Priority:
    """One priority of an extension, as ShowDialPlan lists it."""

    exten: str
    priority: int | str  # "hint" for hints
    app: str
    data: str
    label: str | None = None


@dataclass
class Context:
    """A dialplan context: its priorities in file order and the contexts it includes."""

    priorities: list[Priority] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)


def load_dialplan(config_dir: Path, filename: str = "extensions.conf") -> dict[str, Context]:
    """The contexts of `filename` in `config_dir`, with its includes; FileNotFoundError for a #include."""
    contexts: dict[str, Context] = {}
    _read(config_dir, filename, contexts, [None, None, 0])
    return contexts


def _read(config_dir: Path, filename: str, contexts: dict[str, Context], state: list) -> None:
    """Parse one file into `contexts`; `state` is [current context, last extension, last priority]."""
    path = Path(filename) if Path(filename).is_absolute() else config_dir / filename
    for raw in path.read_text().splitlines():
        line = _strip_comment(raw).strip()
        if line.startswith(("#include", "#tryinclude")):
            directive, _, target = line.partition(" ")
            target = target.strip().strip('"')
            resolved = Path(target) if Path(target).is_absolute() else config_dir / target
            if resolved.exists():
                _read(config_dir, target, contexts, state)
            elif directive == "#include":
                raise FileNotFoundError(f"{path}: #include {target!r} does not exist in {config_dir}")
        elif line.startswith("[") and "]" in line:
            name = line[1 : line.index("]")]
            state[:] = [None if name in NOT_CONTEXTS else name, None, 0]
            if state[0] is not None:
                contexts.setdefault(name, Context())
        elif "=>" in line and state[0] is not None:
            key, _, value = (part.strip() for part in line.partition("=>"))
            _statement(contexts[state[0]], key.lower(), value, state)


def _statement(context: Context, key: str, value: str, state: list) -> None:
    if key == "include":
        context.includes.append(value)
        return
    if key == "exten":
        exten, _, rest = value.partition(",")
        state[1], state[2] = exten.strip(), 0
    elif key == "same" and state[1] is not None:
        rest = value
    else:
        return
    where, _, app = rest.partition(",")
    where, _, label = where.partition("(")
    where, label = where.strip(), label.rstrip(")") or None
    priority: int | str = "hint" if where == "hint" else state[2] + 1 if where == "n" else int(where)
    if priority != "hint":
        state[2] = priority
    name, _, data = app.partition("(")
    context.priorities.append(
        Priority(state[1], priority, name.strip(), data[:-1] if data.endswith(")") else data, label)
    )


def _strip_comment(line: str) -> str:
    """The line without its `;` comment (`\\;` is a literal semicolon)."""
    for i, char in enumerate(line):
        if char == ";" and (i == 0 or line[i - 1] != "\\"):
            return line[:i]
    return line


class FakeCoreActions:
    """ModuleCheck and ShowDialPlan of the fake Asterisk, on `modules` and `dialplan`."""

    modules: set[str]
    dialplan: dict[str, Context]

    async def action_modulecheck(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """ModuleCheck: `.so` optional, as ast_module_check() compares names without it."""
        module = (request.get("Module") or "").removesuffix(".so")
        if module not in self.modules:
            return await session.respond(request, "Error", "Module not loaded")
        await session.respond(request, "Success", extra=[("Version", "")])

    async def action_showdialplan(self, session: FakeAmiSession, request: AmiMessage) -> None:
        """ShowDialPlan: every priority and include of one context (or all), then ShowDialPlanComplete."""
        wanted = request.get("Context") or ""
        if wanted and wanted not in self.dialplan:
            return await session.respond(request, "Error", f"Did not find context {wanted}")
        action_id = [("ActionID", request.action_id)] if request.action_id is not None else []
        items: list[list[tuple[str, str]]] = []
        extensions = 0
        for name, context in self.dialplan.items():
            if wanted and name != wanted:
                continue
            seen: set[str] = set()
            for p in context.priorities:
                extensions += p.exten not in seen
                seen.add(p.exten)
                item = [("Context", name), ("Extension", p.exten)]
                item += [("ExtensionLabel", p.label)] if p.label else []
                item += [("Priority", str(p.priority)), ("Application", p.app)]
                item += [("AppData", p.data)] if p.priority != "hint" else []
                items.append([*item, ("Registrar", REGISTRAR)])
            items += [
                [("Context", name), ("IncludeContext", i), ("Registrar", REGISTRAR)] for i in context.includes
            ]
        contexts = len(self.dialplan) if not wanted else 1
        await session.respond(request, "Success", "DialPlan list will follow", event_list="start")
        for item in items:
            await session.send([("Event", "ListDialplan"), *action_id, *item])
        priorities = sum(1 for item in items if item[1][0] == "Extension")
        await session.send(
            [
                ("Event", "ShowDialPlanComplete"),
                *action_id,
                ("EventList", "Complete"),
                ("ListItems", str(len(items))),
                ("ListExtensions", str(extensions)),
                ("ListPriorities", str(priorities)),
                ("ListContexts", str(contexts)),
            ]
        )
