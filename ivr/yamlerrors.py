"""pydantic's validation errors as ConfigErrors: a readable key path, the line of the key, plain words.

How this works: each error's location is followed through the loaded data (`resolve_loc`), which drops
the union and validator tags pydantic adds, to a path like `flows[2].steps[0].say`. The line is the one
ivr.yamlconf recorded for that key, or for its nearest existing parent when the key is missing. Unknown
keys get the model's own hint or a did-you-mean from the keys the models at that path accept; a wrong
`type:` lists the kinds it may be.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Hashable, Iterator
from typing import Any

import pydantic
from pydantic import BaseModel

from ivr.errors import ConfigError

KeyPath = tuple[Hashable, ...]

ROOT_LINE = 1


def validation_errors(
    exc: pydantic.ValidationError, data: Any, lines: dict[KeyPath, int], model: type[BaseModel], filename: str
) -> list[ConfigError]:
    """pydantic's errors as ConfigErrors with readable key paths and lines, in file order."""
    errors = [_to_config_error(err, data, lines, model, filename) for err in exc.errors()]
    return sorted(errors, key=lambda e: e.line or 0)


def format_path(path: KeyPath, is_index: list[bool] | None = None) -> str:
    """Render a key path as `flows[2].steps[0].say`; `is_index` marks elements that are list indexes."""
    if is_index is None:
        is_index = [isinstance(p, int) and not isinstance(p, bool) for p in path]
    out = ""
    for element, index in zip(path, is_index, strict=True):
        if index:
            out += f"[{element}]"
        else:
            out += ("." if out else "") + str(element)
    return out


def _to_config_error(
    err: Any, data: Any, lines: dict[KeyPath, int], model: type[BaseModel], filename: str
) -> ConfigError:
    """Map one pydantic error onto the data: readable path, line of the key, friendly message."""
    path, is_index, found = resolve_loc(err["loc"], data, err["type"])
    if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
        return _tag_error(err, path, is_index, lines, model, filename)
    line = _nearest_line(path[:found], lines)
    dotted = format_path(path, is_index)
    if err["type"] == "extra_forbidden":
        return ConfigError(filename, dotted, line, _unknown_key_message(model, path))
    if err["type"] == "missing":
        return ConfigError(filename, dotted, line, "required key is missing")
    return ConfigError(filename, dotted, line, _value_message(err))


def _tag_error(
    err: Any,
    path: KeyPath,
    is_index: list[bool],
    lines: dict[KeyPath, int],
    model: type[BaseModel],
    filename: str,
) -> ConfigError:
    """A wrong or missing `type:` (the key picking the kind of entry), on that key's line, in plain words."""
    key = str(err.get("ctx", {}).get("discriminator", "type")).strip("'")
    tags = _tags_at(model, path, key)
    where = (*path, key)
    dotted = format_path(where, [*is_index, False])
    choices = f"one of: {', '.join(tags)}" if tags else ""
    if err["type"] == "union_tag_not_found":
        return ConfigError(
            filename, dotted, _nearest_line(path, lines), f"required key is missing ({choices})"
        )
    value = err.get("ctx", {}).get("tag", "")
    close = difflib.get_close_matches(str(value), tags, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else f" ({choices})"
    return ConfigError(filename, dotted, _nearest_line(where, lines), f"unknown {key} {value!r}{hint}")


def _tags_at(model: type[BaseModel], path: KeyPath, key: str) -> list[str]:
    """The values the discriminator `key` may take for the entry at `path`, in declaration order."""
    tags: list[str] = []
    for candidate in _models_at(model, path):
        field = candidate.model_fields.get(key)
        if field is not None and typing.get_origin(field.annotation) is typing.Literal:
            tags += [str(v) for v in typing.get_args(field.annotation) if str(v) not in tags]
    return tags


def resolve_loc(loc: tuple[Any, ...], data: Any, kind: str) -> tuple[KeyPath, list[bool], int]:
    """Follow a pydantic loc through the data; drop union/validator tags that are not real keys.

    Returns the path, which elements are list indexes, and how many leading elements exist in the data.
    """
    path: list[Hashable] = []
    is_index: list[bool] = []
    current, found = data, 0
    for position, element in enumerate(loc):
        if isinstance(current, dict) and element in current:
            path.append(element)
            is_index.append(False)
            current, found = current[element], found + 1
        elif isinstance(current, list) and isinstance(element, int) and 0 <= element < len(current):
            path.append(element)
            is_index.append(True)
            current, found = current[element], found + 1
        elif position == len(loc) - 1 and kind in ("missing", "extra_forbidden"):
            path.append(element)
            is_index.append(False)
    return tuple(path), is_index, found


def _nearest_line(path: KeyPath, lines: dict[KeyPath, int]) -> int:
    """Line of `path`, or of its closest recorded ancestor (the root is line 1 or the first node)."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return ROOT_LINE


def _unknown_key_message(model: type[BaseModel], path: KeyPath) -> str:
    """'unknown key' with the model's hint for that key, or a did-you-mean for a close known key."""
    key = path[-1]
    known: set[str] = set()
    for candidate in _models_at(model, path[:-1]):
        hint = getattr(candidate, "key_hints", {}).get(key)
        if hint:
            return hint
        known.update(_field_keys(candidate))
    message = f"unknown key {key!r}"
    close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.6)
    if close:
        message += f"; did you mean {close[0]!r}?"
    elif known:
        message += f" (known keys: {', '.join(sorted(known))})"
    return message


def _field_keys(model: type[BaseModel]) -> Iterator[str]:
    """The YAML keys a model accepts (aliases where set)."""
    for name, field in model.model_fields.items():
        yield field.alias or name


def _models_at(model: type[BaseModel], path: KeyPath) -> list[type[BaseModel]]:
    """Model classes that describe the mapping found at `path` (several when a union allows it)."""
    types_here: list[Any] = [model]
    for element in path:
        nxt: list[Any] = []
        for tp in types_here:
            nxt.extend(_child_types(tp, element))
        types_here = nxt
    return [tp for tp in _flatten(types_here) if isinstance(tp, type) and issubclass(tp, BaseModel)]


def _child_types(tp: Any, element: Hashable) -> list[Any]:
    """Types that the value under `element` of a value of type `tp` may have."""
    result: list[Any] = []
    for t in _flatten([tp]):
        origin = typing.get_origin(t)
        args = typing.get_args(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            for name, field in t.model_fields.items():
                if element in (name, field.alias):
                    result.append(field.annotation)
        elif origin in (list, tuple, set, frozenset) and args:
            result.append(args[0])
        elif origin is dict and len(args) == 2:
            result.append(args[1])
    return result


def _flatten(tps: list[Any]) -> list[Any]:
    """Unwrap Annotated and unions into their member types."""
    out: list[Any] = []
    for tp in tps:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            out.extend(_flatten([typing.get_args(tp)[0]]))
        elif origin in (typing.Union, types.UnionType):
            out.extend(_flatten(list(typing.get_args(tp))))
        else:
            out.append(tp)
    return out


_QUOTED = re.compile(r"'([^']*)'")


def _value_message(err: Any) -> str:
    """pydantic's message without its 'Value error, ' prefix, with the bad value and a suggestion."""
    message = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    value = err.get("input")
    # Custom validators write complete messages; not echoing their input keeps a URL's password out.
    if err["type"] != "value_error" and (isinstance(value, str | int | float | bool) or value is None):
        shown = repr(value)
        message += f" (got {shown[:60] + '...' if len(shown) > 60 else shown})"
        if err["type"] == "literal_error" and isinstance(value, str):
            expected = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
            close = difflib.get_close_matches(value, expected, n=1, cutoff=0.6)
            if close:
                message += f"; did you mean {close[0]!r}?"
    return message
