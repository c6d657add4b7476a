"""Flow files -> validated FlowSpecs: schema errors from yamlconf, then cross-reference checks with lines.

How this works: each dialplan/*.yaml is validated into a FlowSpec by ivr.yamlconf (file:line: key.path
errors); the same text is parsed once more for the line of every key, and `cross_check` walks the spec
for what a schema cannot see alone: goto targets, intent and skill names, knowledge entries, a prompt
for every declared language, and steps that loop without ever waiting for the caller. Every error of
every file is collected before anything is raised, so an admin sees the whole list at once.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Hashable, Iterable, Iterator
from pathlib import Path

from ivr.dialogue import catalog
from ivr.dialogue.schema import (
    GLOBAL_INTENTS,
    MESSAGE_KEYS,
    REASONS,
    WAITING_STEPS,
    AnswerStep,
    AskStep,
    BranchStep,
    CollectStep,
    FlowSpec,
    GotoStep,
    MenuStep,
    TransferStep,
)
from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors, KeyPath, format_path, parse_with_lines
from ivr.yamlsalvage import validate_salvaging

MAX_FLOW_BYTES = 1 << 20


def flow_files(directory: Path) -> list[Path]:
    """The flow files of a folder, sorted: every *.yaml and *.yml directly inside it."""
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def _knowledge_placeholder(entry: object) -> dict:
    """An empty entry under the broken one's id, so `answer` steps that name it still check."""
    entry_id = entry.get("id") if isinstance(entry, dict) else None
    valid = isinstance(entry_id, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", entry_id)
    return {"id": entry_id if valid else "invalid_entry", "questions": {}, "answer": {}}


# A step, intent or knowledge entry with a schema error is checked as an empty one, so references to
# it and everything else in the file are still checked.
_PLACEHOLDERS = {
    "steps": lambda _: {"type": "goodbye"},
    "intents": lambda _: {},
    "knowledge": _knowledge_placeholder,
}


def load_spec(path: Path, text: str | None = None) -> FlowSpec:
    """Validate one flow file (schema and cross-references); raises ConfigErrors listing every error."""
    name = str(path)
    if text is None:
        text = read_flow_text(path)
    data, lines = parse_with_lines(text, name)
    checked = validate_salvaging(data, FlowSpec, lines, name, _PLACEHOLDERS)
    errors = checked.errors
    if checked.model is not None:
        errors = sorted(
            errors + checked.keep(cross_check(checked.model, lines, name)), key=lambda e: e.line or 0
        )
    if errors:
        raise ConfigErrors(errors)
    return checked.model


def read_flow_text(path: Path) -> str:
    """A flow file's text; ConfigErrors when it cannot be read, is too big or is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigErrors([ConfigError(str(path), "", None, f"cannot read file: {exc.strerror}")]) from None
    if len(raw) > MAX_FLOW_BYTES:
        raise ConfigErrors([ConfigError(str(path), "", None, f"file is larger than {MAX_FLOW_BYTES} bytes")])
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigErrors([ConfigError(str(path), "", line, "file is not valid UTF-8")]) from None


class _Checker:
    """Collects cross-reference errors of one spec, each at the line of the offending key."""

    def __init__(self, spec: FlowSpec, lines: dict[KeyPath, int], filename: str) -> None:
        self.spec, self.lines, self.filename = spec, lines, filename
        self.errors: list[ConfigError] = []
        self.intents = set(spec.intents) | set(GLOBAL_INTENTS)

    def error(self, path: KeyPath, message: str, at: KeyPath | None = None) -> None:
        """Record an error at `path`, on the line of `at` (default: of `path` or its nearest parent)."""
        line = path_line(self.lines, path if at is None else at)
        self.errors.append(ConfigError(self.filename, format_path(path), line, message))

    def step(self, path: KeyPath, target: str | None) -> None:
        """`target` must name a step."""
        if target is not None and target not in self.spec.steps:
            self.error(path, f"no step named {target!r}{_close(target, self.spec.steps)}")

    def intent(self, path: KeyPath, name: str | None) -> None:
        """`name` must be an intent of the flow or a global one."""
        if name is not None and name not in self.intents:
            self.error(path, f"no intent named {name!r}{_close(name, self.intents)}")

    def skill(self, path: KeyPath, name: str | None) -> None:
        """`name` must be listed under `skills`."""
        if name is not None and name not in self.spec.skills:
            self.error(path, f"unknown skill {name!r}: add it under `skills`{_close(name, self.spec.skills)}")

    def texts(self, path: KeyPath, texts: dict[str, object] | None, *, required: bool = True) -> None:
        """Only declared languages, and (when required) every one of them."""
        if texts is None:
            return
        for language in texts:
            if language not in self.spec.languages:
                self.error((*path, language), f"language {language!r} is not in `languages`")
        if required:
            for language in self.spec.languages:
                if language not in texts:
                    self.error(path, f"missing the {language!r} text (the flow declares {language!r})")


def cross_check(spec: FlowSpec, lines: dict[KeyPath, int], filename: str) -> list[ConfigError]:
    """Every cross-reference error of one valid-by-schema spec, sorted by line."""
    c = _Checker(spec, lines, filename)
    c.step(("start",), spec.start)
    _check_policy(c)
    _check_catalog_texts(c)
    for name, texts in spec.skills.items():
        c.texts(("skills", name), texts)
    for name, phrases in spec.departments.items():
        c.skill(("departments", name), name)
        c.texts(("departments", name), phrases, required=False)
    for key, language in spec.language_keys.items():
        if language not in spec.languages:
            c.error(("language_keys", key), f"language {language!r} is not in `languages`")
    _check_intents(c)
    _check_knowledge(c)
    for name, step in spec.steps.items():
        _check_step(c, ("steps", name), step)
    _check_loops(c)
    return sorted(c.errors, key=lambda e: e.line or 0)


def _check_policy(c: _Checker) -> None:
    policy = c.spec.policy
    c.skill(("policy", "default_skill"), policy.default_skill)
    c.skill(("policy", "sensitive_skill"), policy.sensitive_skill)
    for i, name in enumerate(policy.sensitive_intents):
        c.intent(("policy", "sensitive_intents", i), name)


def _check_catalog_texts(c: _Checker) -> None:
    """Messages and reason phrases: the flow's own ones, and a built-in or own one for every language."""
    for kind, own, builtin, keys in (
        ("messages", c.spec.messages, catalog.BUILTIN_MESSAGES, MESSAGE_KEYS),
        ("reasons", c.spec.reasons, catalog.BUILTIN_REASONS, REASONS),
    ):
        for key, texts in own.items():
            c.texts((kind, key), texts, required=False)
        for key in keys:
            for language in c.spec.languages:
                if language not in own.get(key, {}) and language not in builtin[key]:
                    message = f"no built-in {language!r} text; give one under {kind}.{key}"
                    c.error((kind, key), message, at=("languages",))


def _check_intents(c: _Checker) -> None:
    for name, intent in c.spec.intents.items():
        path = ("intents", name)
        c.texts((*path, "title"), intent.title or None)
        c.texts((*path, "label"), intent.label or None, required=False)
        c.texts((*path, "examples"), intent.examples, required=False)
        c.texts((*path, "keywords"), intent.keywords, required=False)
        c.skill((*path, "skill"), intent.skill)
        c.step((*path, "goto"), intent.goto)
        for language in c.spec.languages:
            builtin = catalog.BUILTIN_GLOBAL_INTENTS.get(name, {}).get(language)
            if not (intent.examples.get(language) or intent.keywords.get(language) or builtin):
                c.error(path, f"no {language!r} examples or keywords: callers could never say it")
    for name in GLOBAL_INTENTS:
        for language in c.spec.languages:
            if name not in c.spec.intents and language not in catalog.BUILTIN_GLOBAL_INTENTS[name]:
                message = f"global intent with no built-in {language!r} examples; give some here"
                c.error(("intents", name), message, at=("languages",))


def _check_knowledge(c: _Checker) -> None:
    seen: dict[str, int] = {}
    for i, entry in enumerate(c.spec.knowledge):
        path = ("knowledge", i)
        if entry.id in seen:
            c.error(
                (*path, "id"), f"knowledge id {entry.id!r} is already used by knowledge[{seen[entry.id]}]"
            )
        seen.setdefault(entry.id, i)
        c.texts((*path, "questions"), entry.questions, required=False)
        c.texts((*path, "keywords"), entry.keywords, required=False)
        c.texts((*path, "answer"), entry.answer, required=False)
        c.intent((*path, "intent"), entry.intent)
        for language in entry.questions:
            if language not in entry.answer:
                c.error((*path, "answer"), f"questions in {language!r} but no {language!r} answer")


def _check_step(c: _Checker, path: KeyPath, step: object) -> None:
    for attr in ("text", "prompt", "reprompt", "help", "confirm", "choices"):
        c.texts((*path, attr), getattr(step, attr, None))
    for attr in ("next", "on_no_input", "on_no_match", "after_answer", "goto"):
        c.step((*path, attr), getattr(step, attr, None))
    if isinstance(step, AskStep):
        for intent, target in step.routes.items():
            c.intent((*path, "routes", intent), intent)
            c.step((*path, "routes", intent), target)
        for key, target in step.keypad.items():
            c.step((*path, "keypad", key), target)
    elif isinstance(step, MenuStep):
        for i, option in enumerate(step.options):
            where = (*path, "options", i)
            c.step((*where, "goto"), option.goto)
            c.intent((*where, "intent"), option.intent)
            c.texts((*where, "words"), option.words or None)
            if option.language is not None and option.language not in c.spec.languages:
                c.error((*where, "language"), f"language {option.language!r} is not in `languages`")
    elif isinstance(step, AnswerStep):
        c.step((*path, "else"), step.else_)
        ids = {e.id for e in c.spec.knowledge}
        if step.entry is not None and step.entry not in ids:
            c.error((*path, "entry"), f"no knowledge entry with id {step.entry!r}{_close(step.entry, ids)}")
    elif isinstance(step, BranchStep):
        c.step((*path, "else"), step.else_)
        for i, case in enumerate(step.cases):
            c.step((*path, "cases", i, "goto"), case.goto)
    elif isinstance(step, TransferStep):
        c.skill((*path, "skill"), step.skill)
    elif isinstance(step, CollectStep) and step.confirm and step.kind == "yes_no":
        c.error((*path, "confirm"), "a yes/no answer needs no confirmation")


def _successors(step: object) -> Iterator[str]:
    """Steps reached from a step that does not wait for the caller."""
    if isinstance(step, BranchStep):
        yield from (case.goto for case in step.cases)
        yield step.else_
    elif isinstance(step, AnswerStep):
        yield step.next
        if step.else_:
            yield step.else_
    elif isinstance(step, GotoStep):
        yield step.goto
    elif not isinstance(step, TransferStep) and hasattr(step, "next"):
        yield step.next


def _check_loops(c: _Checker) -> None:
    """A cycle of steps none of which waits for the caller would spin forever."""
    steps = c.spec.steps
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        step = steps[name]
        if not isinstance(step, WAITING_STEPS):
            for nxt in _successors(step):
                if nxt not in steps:
                    continue
                if state.get(nxt) == 1:
                    cycle = [*trail[trail.index(nxt) :], nxt] if nxt in trail else [name, nxt]
                    c.error(
                        ("steps", nxt), f"steps loop without waiting for the caller: {' -> '.join(cycle)}"
                    )
                elif nxt not in state:
                    visit(nxt, [*trail, nxt])
        state[name] = 2

    for name in steps:
        if name not in state:
            visit(name, [name])


def _close(name: str, known: Iterable[object]) -> str:
    """'; did you mean X?' for a close known name, else ''."""
    match = difflib.get_close_matches(name, sorted(str(k) for k in known), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def path_line(lines: dict[KeyPath, int], path: tuple[Hashable, ...]) -> int:
    """Line of `path` or of its nearest recorded parent."""
    for n in range(len(path), -1, -1):
        if path[:n] in lines:
            return lines[path[:n]]
    return 1
