"""Everything a user can reach from --help is Dutch: every command's help, usage line and errors."""

import re

import click
from click.testing import CliRunner

from examenbron.cli import main

# Common English words that do not occur in Dutch text (so not "is", "of", "door", "in", "de").
ENGLISH = {"the", "and", "with", "this", "that", "for", "from", "to", "or", "show", "write", "file", "files",
           "default", "usage", "options", "commands", "exit", "error", "message", "missing", "invalid", "check",
           "run", "each", "every", "one", "year", "candidate", "reference", "date", "output",
           "list", "added", "removed", "changed", "number", "random", "seed", "same", "passed", "failed"}
ALLOWED = {"examenbron"}  # the program name a user types; command names are identifiers too (see below)


def _commands(group, path=()):
    yield path
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name)


def _command_names(group) -> set[str]:
    names = set()
    for name, command in group.commands.items():
        names.add(name)
        if isinstance(command, click.Group):
            names |= _command_names(command)
    return names


def _english_words(text: str) -> set[str]:
    text = re.sub(r"`[^`]*`|--[\w-]+|examenbron [\w -]+|\[[^\]]*\|[^\]]*\]", " ", text)
    lines = [line for line in text.splitlines() if not line.strip().startswith("examenbron ")]
    words = set(re.findall(r"[a-z]+", " ".join(lines).lower()))
    return (words & ENGLISH) - ALLOWED - _command_names(main)


def test_every_help_text_is_dutch():
    runner = CliRunner()
    paths = list(_commands(main))
    assert len(paths) >= 9
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert result.output.startswith("Gebruik:"), (path, result.output[:80])
        assert not _english_words(result.output), (path, _english_words(result.output), result.output)


def test_usage_errors_are_dutch():
    runner = CliRunner()
    for args in (["validate"], ["validate", "x.csv", "--format", "pdf"], ["validate", "--onbekend"],
                 ["geen-opdracht"], ["explain", "x.csv"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 2, args
        assert "Fout:" in result.output and "Error" not in result.output, (args, result.output)
        assert not _english_words(result.output.replace("x.csv", "")), (args, result.output)


def test_the_heuristic_catches_english():
    assert _english_words("Write this message and exit.") == {"write", "this", "message", "and", "exit"}
    assert not _english_words("Toon deze hulp en stop. Exitcode 0: geen afkeur; 1: minstens een afkeur.")
