"""Load admin YAML into strict pydantic models, with every error naming the file, key path and line.

How this works: the text is composed into a YAML node tree (safe tags only). One walk over the tree
records the line of every key and list item under its key path and rejects duplicate keys; then the
same tree is constructed into plain Python data and validated by the model. ivr.yamlerrors maps each
pydantic error back onto the data to get a readable path (`flows[2].steps[0].say`) and the line of that
key, or of its nearest existing parent when the key is missing. All errors are raised together.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import pydantic
import yaml
from pydantic import BaseModel, ConfigDict

from ivr.errors import ConfigError
from ivr.yamlerrors import ROOT_LINE, KeyPath, format_path, validation_errors

M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 1 << 20  # admin files are hand-written; anything bigger is a mistake
MAX_NODES = 200_000  # caps the walk when aliases expand (billion-laughs style documents)
MAX_DEPTH = 100

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
            return None, {(): ROOT_LINE}
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
