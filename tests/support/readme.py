"""README.md as test data: the fenced blocks marked `<!-- readme-test: NAME -->`, and output normalising."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"

# The marker, then a fenced block at the same indentation (blocks inside list items are indented).
_MARKED = re.compile(r"^( *)<!-- readme-test: ([\w-]+) -->\n\1```[a-z]*\n(.*?)^\1```", re.S | re.M)
# What differs from run to run in `ivr call` and service output: clock times, call ids, audio length.
_VOLATILE = [
    (re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} "), "<time> "),
    (re.compile(r"\b\d\d:\d\d:\d\d\b"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"bot audio=\d+\.\ds"), "bot audio=<s>"),
    (re.compile(r" \(interrupted\)$"), ""),
]


def marked_blocks(text: str | None = None) -> dict[str, str]:
    """Every `<!-- readme-test: NAME -->` code block of README.md, by NAME."""
    text = README.read_text() if text is None else text
    return {name: textwrap.dedent(body) for _, name, body in _MARKED.findall(text)}


def shell_lines(block: str) -> list[str]:
    """The commands of a sh block: one per line, without `# comments` and blank lines."""
    lines = (line.split("  #", 1)[0].strip() for line in block.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def normalise(output: str) -> list[str]:
    """Output lines with the run-to-run differences replaced by placeholders."""
    lines = []
    for line in output.strip("\n").splitlines():
        for pattern, placeholder in _VOLATILE:
            line = pattern.sub(placeholder, line)
        lines.append(line.rstrip())
    return lines
