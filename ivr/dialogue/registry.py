"""The loaded flows: an immutable FlowSet per version, and the registry that swaps versions on reload.

How this works: `FlowRegistry.load(folder)` validates every flow file into a FlowSet (version 1) or
raises ConfigErrors listing every error of every file; the flows' matchers are built then (loading the
semantic model and embedding the phrases takes seconds once per process), not at a caller's first
turn. `reload()` reads the folder again; when nothing changed it keeps the version, when a file is
invalid it reports the errors and keeps the running FlowSet, otherwise the new FlowSet (version + 1)
becomes current. A call takes its Flow once at the
start (`current().flow_for(hotline)`) and keeps that object, so a reload never changes a running call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ivr.dialogue.loader import flow_files, load_spec, read_flow_text
from ivr.dialogue.schema import GLOBAL_INTENTS, FlowSpec
from ivr.errors import ConfigError
from ivr.yamlconf import ConfigErrors, parse_with_lines

if TYPE_CHECKING:
    from ivr.dialogue.departments import Teams
    from ivr.dialogue.intents import IntentMatcher
    from ivr.dialogue.knowledge import KnowledgeBase
    from ivr.dialogue.semantic import SemanticIndex


@dataclass(frozen=True, eq=False)
class Flow:
    """One hotline's validated flow at one version, with its NLU built lazily per language."""

    spec: FlowSpec
    file: str
    version: int
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        """The flow's name."""
        return self.spec.name

    def matcher(self, language: str) -> IntentMatcher:
        """The intent matcher of this flow for `language` (global intents included)."""
        key = ("matcher", language)
        if key not in self._cache:
            from ivr.dialogue.intents import IntentMatcher

            specs = intent_specs(self.spec, language)
            self._cache[key] = IntentMatcher(
                specs, language, self.spec.policy.intent_threshold, self.semantic_index(language, specs)
            )
        return self._cache[key]

    def semantic_index(self, language: str, specs: list | None = None) -> SemanticIndex | None:
        """Intent examples, knowledge questions and built-in moods by meaning; None when off or unloadable."""
        key = ("semantic", language)
        if key not in self._cache:
            from ivr.dialogue.semantic import SemanticIndex, builtin_phrases, embedder

            model = embedder() if self.spec.policy.semantic else None
            phrases = [
                (f"intent:{s.name}", e)
                for s in specs or intent_specs(self.spec, language)
                for e in s.examples
            ]
            phrases += [(f"kb:{e.id}", q) for e in self.spec.knowledge for q in e.questions.get(language, [])]
            phrases += [(b, p) for b, by_lang in builtin_phrases().items() for p in by_lang.get(language, ())]
            self._cache[key] = SemanticIndex(phrases, model) if model is not None else None
        return self._cache[key]

    def warm(self) -> Flow:
        """Build every language's matchers and the knowledge base now (the model loads, phrases are embedded).

        Otherwise that happens at the first caller turn, on the event loop, and takes seconds.
        """
        for language in self.spec.languages:
            self.matcher(language)
        self.knowledge()
        return self

    def teams(self, language: str) -> Teams:
        """The flow's department names in `language`, normalised once per flow version."""
        key = ("teams", language)
        if key not in self._cache:
            from ivr.dialogue.departments import teams

            self._cache[key] = teams(self.spec, language)
        return self._cache[key]

    def digit_slots(self) -> frozenset[str]:
        """The slots collected as digits, which sentences say digit by digit."""
        if "digit_slots" not in self._cache:
            from ivr.dialogue.schema import CollectStep

            steps = self.spec.steps.values()
            self._cache["digit_slots"] = frozenset(
                s.slot for s in steps if isinstance(s, CollectStep) and s.kind == "digits"
            )
        return self._cache["digit_slots"]

    def knowledge(self) -> KnowledgeBase:
        """The flow's knowledge base (every language)."""
        if "kb" not in self._cache:
            from ivr.dialogue.knowledge import KnowledgeBase, KnowledgeEntry

            entries = [
                KnowledgeEntry(
                    id=e.id,
                    language=lang,
                    questions=tuple(questions),
                    answer=e.answer[lang],
                    keywords=tuple(e.keywords.get(lang, ())),
                )
                for e in self.spec.knowledge
                for lang, questions in e.questions.items()
            ]
            self._cache["kb"] = KnowledgeBase(entries, semantic=self.semantic_index)
        return self._cache["kb"]


def intent_specs(spec: FlowSpec, language: str) -> list:
    """IntentSpecs of a flow in one language: its own intents plus the global ones (built-in phrases)."""
    from ivr.dialogue import catalog
    from ivr.dialogue.intents import IntentSpec

    out = []
    for name in [*spec.intents, *(g for g in GLOBAL_INTENTS if g not in spec.intents)]:
        own = spec.intents.get(name)
        examples = list(catalog.BUILTIN_GLOBAL_INTENTS.get(name, {}).get(language, []))
        keywords = list(catalog.GLOBAL_KEYWORDS.get(name, {}).get(language, []))
        if own is not None:
            examples += own.examples.get(language, [])
            keywords += own.keywords.get(language, [])
        if examples or keywords:
            out.append(IntentSpec(name, tuple(examples), tuple(keywords)))
    return out


@dataclass(frozen=True)
class FlowSet:
    """Every flow of one load, immutable; `flow_for()` picks a call's flow."""

    version: int
    flows: dict[str, Flow]
    digests: dict[str, str]  # file -> sha256 of its text, to tell what a reload changed

    def warm(self) -> FlowSet:
        """Make every flow ready to match (see Flow.warm); returns self."""
        for flow in self.flows.values():
            flow.warm()
        return self

    def flow_for(self, hotline: str | None = None) -> Flow:
        """The flow that lists `hotline` (AGI script name or dialled number), else the default flow."""
        if hotline:
            for flow in self.flows.values():
                if hotline in flow.spec.hotlines:
                    return flow
        for flow in self.flows.values():
            if flow.spec.default:
                return flow
        return next(iter(self.flows.values()))


@dataclass(frozen=True)
class ReloadResult:
    """What a reload did: `ok` false means the errors were found and the running version stays."""

    ok: bool
    version: int
    errors: list[str]
    changed_files: list[str]


class FlowRegistry:
    """Holds the current FlowSet of one folder and replaces it on a valid reload."""

    def __init__(self, directory: Path, flowset: FlowSet) -> None:
        self.directory = directory
        self._current = flowset

    @classmethod
    def load(cls, directory: Path) -> FlowRegistry:
        """Load every flow file of `directory`, ready to match; raises ConfigErrors listing every error."""
        return cls(directory, load_flowset(directory, version=1).warm())

    def current(self) -> FlowSet:
        """The FlowSet new calls use."""
        return self._current

    def reload(self) -> ReloadResult:
        """Load the folder again; on any error keep the running version and return the errors."""
        running = self._current
        try:
            candidate = load_flowset(self.directory, version=running.version + 1)
        except ConfigErrors as exc:
            return ReloadResult(False, running.version, [str(e) for e in exc.errors], [])
        changed = sorted(
            f
            for f in running.digests.keys() | candidate.digests.keys()
            if running.digests.get(f) != candidate.digests.get(f)
        )
        if not changed:
            return ReloadResult(True, running.version, [], [])
        self._current = candidate.warm()  # only phrases not seen before are embedded: quick
        return ReloadResult(True, candidate.version, [], changed)


def load_flowset(directory: Path, *, version: int) -> FlowSet:
    """Validate every flow file of a folder and check them against each other; raises ConfigErrors."""
    if not directory.is_dir():
        raise ConfigErrors([ConfigError(str(directory), "", None, "flow folder does not exist")])
    files = flow_files(directory)
    if not files:
        raise ConfigErrors([ConfigError(str(directory), "", None, "no flow files (*.yaml) in this folder")])
    errors: list[ConfigError] = []
    loaded: list[tuple[Path, str, FlowSpec]] = []
    for path in files:
        try:
            text = read_flow_text(path)
            loaded.append((path, text, load_spec(path, text)))
        except ConfigErrors as exc:
            errors.extend(exc.errors)
    errors.extend(_across_files(loaded))
    if errors:
        raise ConfigErrors(errors)
    flows = {spec.name: Flow(spec, str(path), version) for path, _, spec in loaded}
    digests = {str(path): hashlib.sha256(text.encode()).hexdigest() for path, text, _ in loaded}
    return FlowSet(version, flows, digests)


def _across_files(loaded: list[tuple[Path, str, FlowSpec]]) -> list[ConfigError]:
    """Flow names and hotlines unique across files, at most one default flow."""
    errors: list[ConfigError] = []
    names: dict[str, str] = {}
    hotlines: dict[str, str] = {}
    default: str | None = None
    for path, text, spec in loaded:
        _, lines = parse_with_lines(text, str(path))
        if spec.name in names:
            errors.append(
                _err(path, lines, ("name",), f"flow {spec.name!r} is also defined in {names[spec.name]}")
            )
        names.setdefault(spec.name, str(path))
        for i, hotline in enumerate(spec.hotlines):
            if hotline in hotlines:
                errors.append(
                    _err(
                        path, lines, ("hotlines", i), f"hotline {hotline!r} is already in {hotlines[hotline]}"
                    )
                )
            hotlines.setdefault(hotline, str(path))
        if spec.default:
            if default is not None:
                errors.append(
                    _err(path, lines, ("default",), f"only one flow may be the default ({default})")
                )
            default = default or str(path)
    if len(loaded) > 1 and default is None:
        path, text, _ = loaded[0]
        _, lines = parse_with_lines(text, str(path))
        errors.append(_err(path, lines, ("default",), "several flows and none has `default: true`"))
    return errors


def _err(path: Path, lines: dict, key: tuple, message: str) -> ConfigError:
    """A ConfigError at the line of `key`."""
    from ivr.yamlconf import format_path

    line = next((lines[key[:n]] for n in range(len(key), -1, -1) if key[:n] in lines), 1)
    return ConfigError(str(path), format_path(key), line, message)
