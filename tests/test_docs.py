"""The README's command lines match the command line and the Makefile (after sqlite-utils' tests/test_docs.py).

Only command lines are read: `python -m hutong …` lines in fenced code blocks and in inline code, and
`make …` lines in fenced code blocks; the prose around them can change freely."""

import argparse
import re
import shlex
from pathlib import Path

import pytest

from hutong.cli import _parser

ROOT = Path(__file__).resolve().parents[1]
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HUTONG = re.compile(r"(?:^|\s)(?:\S*/)?(?:python3?\s+-m\s+hutong|hutong)\s+(\S+)(.*)")
# New options that the README does not show yet; the proposed lines are in the notes of the change that added
# them. Remove a name here once the README shows it (a test below says when).
NOT_YET_IN_README: dict[str, set[str]] = {}
COMMANDS_NOT_YET_IN_README: set[str] = set()


def _code_lines(text: str) -> list[str]:
    """Every line of the fenced code blocks, a line that continues a command (indented, starting with an
    option or a bracket) joined to the line before, and # comments dropped."""
    lines: list[str] = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            code = line.split(" #")[0].rstrip()
            if lines and re.match(r"\s+[\[-]", code):
                lines[-1] += " " + code.strip()
            elif code.strip():
                lines.append(code.strip())
    return lines


def _readme_commands() -> list[tuple[str, str]]:
    """(subcommand, the rest of the line) of every hutong command line the README shows."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    inline = [code for code in re.findall(r"`([^`\n]+)`", _FENCE.sub("", text)) if "hutong" in code]
    found = [_HUTONG.search(line) for line in [*_code_lines(text), *inline]]
    return [(match[1], match[2]) for match in found if match]


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    [commands] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(commands.choices)


def _long_options(command: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        name: a for a in command._actions for name in a.option_strings if name.startswith("--") and name != "--help"
    }


def _options_in(rest: str) -> dict[str, str | None]:
    """The --options of a command line and the value written after each, if any (brackets and | kept)."""
    tokens = shlex.split(rest.replace("[", " ").replace("]", " "))
    options = {}
    for i, token in enumerate(tokens):
        if token.startswith("--"):
            name, _, value = token.partition("=")
            following = tokens[i + 1] if i + 1 < len(tokens) and not tokens[i + 1].startswith("-") else None
            options[name] = value or following
    return options


def test_the_readme_shows_hutong_command_lines():
    assert {command for command, _ in _readme_commands()} == set(_subcommands()) - COMMANDS_NOT_YET_IN_README


@pytest.mark.parametrize("command,rest", _readme_commands())
def test_every_command_line_in_the_readme_is_one_the_cli_accepts(command, rest):
    subcommands = _subcommands()
    assert command in subcommands, f"the README shows `hutong {command}`, which the CLI does not have"
    options = _long_options(subcommands[command])
    for name, value in _options_in(rest).items():
        assert name in options, f"the README shows `hutong {command} {name}`, which the CLI does not have"
        choices = options[name].choices
        if choices and value:  # "jieba|jieba-next": each alternative shown must be a choice
            assert set(value.split("|")) <= set(choices), f"{name} {value}: not all of them are {choices}"


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_every_option_of_the_cli_is_shown_in_the_readme(command):
    shown = {name for c, rest in _readme_commands() if c == command for name in _options_in(rest)}
    missing = set(_long_options(_subcommands()[command])) - shown
    assert missing == NOT_YET_IN_README.get(command, set()), (
        f"`hutong {command}` options the README does not show: {sorted(missing)}; "
        "show them in the README's command lines (and keep NOT_YET_IN_README to what is still missing)"
    )


def test_every_make_command_in_the_readme_is_a_target_with_those_settings():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.MULTILINE))
    settings = set(re.findall(r"^([A-Z][A-Z_]*)\s*[?:]?=", makefile, re.MULTILINE))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    make_lines = [line for line in _code_lines(readme) if line.startswith("make ")]
    assert make_lines
    for line in make_lines:
        for word in shlex.split(line)[1:]:
            name, is_setting, _ = word.partition("=")
            assert name in (settings if is_setting else targets), f"README: `{line}`: the Makefile has no {name}"
