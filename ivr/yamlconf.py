"""Load admin YAML into strict pydantic models, with every error naming the file, key path and line.

How this works: the text is composed into a YAML node tree (safe tags only). One walk over the tree
records the line of every key and list item under its key path and rejects duplicate keys; then the
same tree is constructed into plain Python data and validated by the model. Each pydantic error's
location is mapped back onto the data to get a readable path (`flows[2].steps[0].say`) and the line of
that key, or of its nearest existing parent when the key is missing. All errors are raised together.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict

from ivr.errors import ConfigError

M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 1 << 20  # admin files are hand-written; anything bigger is a mistake
MAX_NODES = 200_000  # caps the walk when aliases expand (billion-laughs style documents)
MAX_DEPTH = 100

KeyPath = tuple[Hashable, ...]

_ROOT_LINE = 1
# PyYAML's safe constructors let these escape for odd scalars (`2024-02-30`, `!!int ''`, `!!timestamp x`).
_CONSTRUCT_ERRORS = (ValueError, LookupError, TypeError, AttributeError, ArithmeticError)


class StrictModel(BaseModel):
    """Base of every admin model: frozen, and unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Keys that are deliberately not accepted, with the message to show instead of "unknown key".
    key_hints: ClassVar[dict[str, str]] = {}


class ConfigErrors(ConfigError):
    """Every error found in one load, in file order; str() lists each on its own line."""

    def __init__(self, errors: list[ConfigError]):
        if not errors:
            raise ValueError("ConfigErrors needs at least one error")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.file, first.key_path, first.line, first.message)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return self.args[0]


def load_model(path: Path, model: type[M]) -> M:
    """Read and validate one admin YAML file; raises ConfigErrors naming file, key path and line."""
    return load_model_from_text(read_admin_text(path), model, str(path))


def read_admin_text(path: Path) -> str:
    """An admin file's text; ConfigErrors when it cannot be read, is too big or is not UTF-8."""
    filename = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigErrors(
            [ConfigError(filename, "", None, f"cannot read file: {exc.strerror or exc}")]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigErrors([ConfigError(filename, "", None, f"file is larger than {MAX_FILE_BYTES} bytes")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigErrors([ConfigError(filename, "", line, "file is not valid UTF-8")]) from None
    return text


def load_model_from_text(text: str, model: type[M], filename: str = "<string>") -> M:
    """Parse YAML text and validate it into `model`; raises ConfigErrors (used by tests and reload)."""
    data, lines = parse_with_lines(text, filename)
    try:
        return model.model_validate({} if data is None else data)
    except pydantic.ValidationError as exc:
        errors = validation_errors(exc, data, lines, model, filename)
    raise ConfigErrors(errors)


def validation_errors(
    exc: pydantic.ValidationError, data: Any, lines: dict[KeyPath, int], model: type[BaseModel], filename: str
) -> list[ConfigError]:
    """pydantic's errors as ConfigErrors with readable key paths and lines, in file order."""
    errors = [_to_config_error(err, data, lines, model, filename) for err in exc.errors()]
    return sorted(errors, key=lambda e: e.line or 0)


def parse_with_lines(text: str, filename: str = "<string>") -> tuple[Any, dict[KeyPath, int]]:
    """Safe-load YAML text; return the data and a map key path -> 1-based line of that key or item."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise ConfigErrors([ConfigError(filename, "", line, f"YAML error: {exc.reason}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {(): _ROOT_LINE}
        lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
        errors = _LineWalker(loader, filename, lines).walk(node)
        if errors:
            raise ConfigErrors(errors)
        return loader.construct_document(node), lines
    except yaml.MarkedYAMLError as exc:
        raise ConfigErrors([_yaml_error(exc, filename)]) from None
    except yaml.YAMLError as exc:
        raise ConfigErrors([ConfigError(filename, "", None, f"YAML error: {exc}")]) from None
    except RecursionError:
        raise ConfigErrors([ConfigError(filename, "", None, "YAML is nested too deeply")]) from None
    except _CONSTRUCT_ERRORS as exc:
        raise ConfigErrors([ConfigError(filename, "", None, f"invalid YAML value: {exc}")]) from None
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.MarkedYAMLError, filename: str) -> ConfigError:
    """Turn a PyYAML error into a ConfigError at the line where the problem was found."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    kind = "YAML error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
    message = f"{kind}: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        started = f" started on line {exc.context_mark.line + 1}" if exc.context_mark else ""
        message += f" ({exc.context}{started})"
    return ConfigError(filename, "", line, message)


class _LineWalker:
    """Walks the composed node tree once, recording lines and collecting duplicate-key errors."""

    def __init__(self, loader: yaml.SafeLoader, filename: str, lines: dict[KeyPath, int]):
        self.loader, self.filename, self.lines = loader, filename, lines
        self.visited = 0
        self.errors: list[ConfigError] = []

    def walk(self, node: yaml.Node) -> list[ConfigError]:
        """Record every key path under `node`; return the errors found."""
        self._walk(node, (), [])
        return self.errors

    def _walk(self, node: yaml.Node, path: KeyPath, is_index: list[bool]) -> None:
        self.visited += 1
        if self.visited > MAX_NODES or len(path) > MAX_DEPTH:
            raise yaml.YAMLError("document too large or too deeply nested (check anchors and aliases)")
        if isinstance(node, yaml.MappingNode):
            self._walk_mapping(node, path, is_index)
        elif isinstance(node, yaml.ScalarNode):
            self._check_scalar(node, path, is_index)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.lines.setdefault((*path, index), item.start_mark.line + 1)
                self._walk(item, (*path, index), [*is_index, True])

    def _walk_mapping(self, node: yaml.MappingNode, path: KeyPath, is_index: list[bool]) -> None:
        seen: dict[Hashable, int] = {}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                merged.extend(_merged_pairs(value_node))
                continue
            line = key_node.start_mark.line + 1
            key = self._key(key_node, path, is_index)
            if key is None:
                continue
            if key in seen:
                message = f"duplicate key {key!r} (first defined on line {seen[key]})"
                dotted = format_path((*path, key), [*is_index, False])
                self.errors.append(ConfigError(self.filename, dotted, line, message))
                continue
            seen[key] = line
            self.lines[(*path, key)] = line
            self._walk(value_node, (*path, key), [*is_index, False])
        # Keys brought in by `<<:` may repeat explicit ones (explicit wins), so they are not duplicates.
        for key_node, value_node in merged:
            key = self._key(key_node, path, is_index)
            if key is not None and key not in seen:
                seen[key] = key_node.start_mark.line + 1
                self.lines[(*path, key)] = seen[key]
                self._walk(value_node, (*path, key), [*is_index, False])

    def _check_scalar(self, node: yaml.ScalarNode, path: KeyPath, is_index: list[bool]) -> None:
        """Construct a scalar now so that values PyYAML cannot build (`2024-02-30`) get a line."""
        try:
            self.loader.construct_object(node)
        except _CONSTRUCT_ERRORS as exc:
            line = node.start_mark.line + 1
            message = f"invalid {node.tag.rsplit(':', 1)[-1]} value {node.value!r}: {exc}"
            self.errors.append(ConfigError(self.filename, format_path(path, is_index), line, message))

    def _key(self, key_node: yaml.Node, path: KeyPath, is_index: list[bool]) -> Hashable | None:
        """Construct a mapping key; only plain scalars are allowed as keys in admin files."""
        if not isinstance(key_node, yaml.ScalarNode):
            where = format_path(path, is_index)
            line = key_node.start_mark.line + 1
            self.errors.append(ConfigError(self.filename, where, line, "keys must be plain scalars"))
            return None
        return self.loader.construct_object(key_node, deep=True)


def _merged_pairs(value_node: yaml.Node) -> list[tuple[yaml.Node, yaml.Node]]:
    """The (key, value) node pairs a `<<:` entry brings in; PyYAML reports malformed merges itself."""
    sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
    pairs: list[tuple[yaml.Node, yaml.Node]] = []
    for source in sources:
        if isinstance(source, yaml.MappingNode):
            pairs.extend((k, v) for k, v in source.value if k.tag != "tag:yaml.org,2002:merge")
    return pairs


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
    return _ROOT_LINE


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
