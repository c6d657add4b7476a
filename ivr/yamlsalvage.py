"""Validate admin YAML and, when it has errors, still get a model of the valid rest for the checks after it.

Why: an admin fixes a file faster when `ivr check` lists every problem at once, but the checks across a
file (goto targets, intents, skills) need a validated model, so one schema error would hide them all.
How this works: each pydantic error is traced to the data; an entry of a named collection (a step, an
intent) that has an error is replaced by a placeholder that checks cleanly (a step keeps its name, so
`goto`s to it stay valid), and any other broken key is removed so that its default applies. The result
is validated once more; if that still fails (a required key is broken) there is no model and only the
schema errors are reported. Errors found later under a replaced entry are dropped: they would be about
the placeholder, and so are errors on a mapping a key was left out of (they would be about the gap).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import pydantic
from pydantic import BaseModel

from ivr.errors import ConfigError
from ivr.yamlerrors import KeyPath, format_path, resolve_loc, validation_errors

M = TypeVar("M", bound=BaseModel)
# Collection key -> (the broken entry's data -> a placeholder that validates and checks cleanly).
Placeholders = Mapping[str, Callable[[Any], Any]]


@dataclass
class Salvaged(Generic[M]):
    """The schema errors, and a model of the valid rest (None when the file cannot be salvaged)."""

    model: M | None
    errors: list[ConfigError]
    replaced: list[str] = field(default_factory=list)  # key paths of the entries given a placeholder
    dropped: list[str] = field(default_factory=list)  # key paths of the keys left out (defaults apply)

    def keep(self, later: list[ConfigError]) -> list[ConfigError]:
        """Errors of the later checks that are not about a placeholder or a left-out key."""
        return [e for e in later if not self._about_salvage(e.key_path)]

    def _about_salvage(self, key_path: str) -> bool:
        if any(_under(key_path, path) for path in self.replaced + self.dropped):
            return True
        # "no skill left" on the mapping a key was dropped from is about the drop, not the file
        return bool(key_path) and any(_under(path, key_path) for path in self.dropped)


def validate_salvaging(
    data: Any,
    model: type[M],
    lines: dict[KeyPath, int],
    filename: str,
    placeholders: Placeholders | None = None,
) -> Salvaged[M]:
    """Validate `data`; on errors also try to build the model without the broken entries."""
    placeholders = placeholders or {}
    try:
        return Salvaged(model.model_validate({} if data is None else data), [])
    except pydantic.ValidationError as exc:
        errors = validation_errors(exc, data, lines, model, filename)
        raw = exc.errors()
    if not isinstance(data, dict):
        return Salvaged(None, errors)
    patched, replaced, dropped = copy.deepcopy(data), [], []
    for err in raw:
        path, is_index, found = resolve_loc(err["loc"], data, err["type"])
        if len(path) >= 2 and found >= 2 and path[0] in placeholders:
            entry = path[:2]
            _set(patched, entry, placeholders[str(path[0])](_get(data, entry)))
            replaced.append(format_path(entry, is_index[:2]))
        elif found:
            _drop(patched, path[:found])
            dropped.append(format_path(path[:found], is_index[:found]))
        else:
            return Salvaged(None, errors)
    try:
        return Salvaged(model.model_validate(patched), errors, replaced, dropped)
    except pydantic.ValidationError:
        return Salvaged(None, errors)


def _get(data: Any, path: KeyPath) -> Any:
    for element in path:
        data = data[element]
    return data


def _set(data: Any, path: KeyPath, value: Any) -> None:
    _get(data, path[:-1])[path[-1]] = value


def _drop(data: Any, path: tuple[Hashable, ...]) -> None:
    """Remove a key (its default applies); a list item is left alone (indexes must not shift)."""
    parent = _get(data, path[:-1])
    if isinstance(parent, dict):
        parent.pop(path[-1], None)


def _under(key_path: str, entry: str) -> bool:
    return key_path == entry or key_path.startswith((f"{entry}.", f"{entry}["))
