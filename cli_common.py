"""What every examenbron command shares: the error type and handler, progress, --regels/--codetabellen."""

from __future__ import annotations

import atexit
import contextlib
import functools
import gc
import sys
from pathlib import Path

import click

from examenbron import cli_dutch

cli_dutch.install()   # before any command is defined: click's decorators translate their texts then


class UserError(click.ClickException):
    """An input or usage problem: printed as 'Fout: …', exit code 2."""

    exit_code = 2


def keep_loaded() -> None:
    """Exempt every object made so far (imported modules, pandas, a loaded rule set and file) from
    Python's garbage collections until the command ends (handle_errors undoes it).

    Called by a command once its modules and data are loaded: those objects live until the command
    ends, yet every collection would scan them again (on a one-school file that was a sizeable part
    of the run). Garbage made afterwards is collected as usual.
    """
    gc.freeze()


# Interpreter shutdown runs full collections over every object left (~25 ms each with pandas
# loaded) only to find nothing to free: at exit everything left is frozen instead. Memory goes back
# to the system with the process; reports are written and closed before that.
atexit.register(gc.freeze)


def handle_errors(command):
    """Every failure of a command ends with exit code 2 and a one-line message, never a traceback.

    Domain errors (ExamenbronError) print their Dutch message; a file system error prints its path
    and reason; anything else is an internal error (the traceback only with ``--debug``). With
    ``--format json`` the error is also written to standard output as ``{"fout": {...}}``.
    Exit code 1 stays reserved for "afkeur found / candidates blocked".
    """
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        from examenbron.engine.errors import ExamenbronError, os_reason
        host_froze = gc.get_freeze_count() > 0
        try:
            return command(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except ExamenbronError as exc:
            failure, message, soort = exc, str(exc), getattr(exc, "soort", "invoer")
        except OSError as exc:
            where = exc.filename or ""
            failure, message, soort = exc, f"{where}: {os_reason(exc)}" if where else os_reason(exc), "bestand"
        except (KeyboardInterrupt, click.Abort) as exc:
            failure, message, soort = exc, "afgebroken", "afgebroken"
        except Exception as exc:  # noqa: BLE001 - the last line of defence: exit 2, not a traceback
            failure, soort = exc, "intern"
            message = (f"interne fout ({type(exc).__name__}); dit is een fout in examenbron, niet in uw "
                       "bestand. Draai opnieuw met --debug voor details en meld het")
        finally:
            if not host_froze:  # undo keep_loaded; a host process's own freeze stays
                gc.unfreeze()
        if _debug():
            import traceback
            traceback.print_exception(failure, file=sys.stderr)
        raise _error(message, soort, kwargs.get("fmt")) from None
    return wrapper


def _debug() -> bool:
    context = click.get_current_context(silent=True)
    return bool(context and context.find_root().params.get("debug"))


def _error(message: str, soort: str, fmt) -> UserError:
    """The UserError for a failure; with --format json the error object also goes to standard output."""
    import json
    from examenbron.engine.inputs.columns import mask_numbers
    message = mask_numbers(message)
    if fmt == "json":
        click.echo(json.dumps({"fout": {"soort": soort, "melding": message, "exitcode": 2}}, ensure_ascii=False))
    return UserError(message)


def source_options(command):
    """--regels / --codetabellen: folders with one sub-folder per school year (default: the installed ones)."""
    for decorator in reversed([
        click.option("--regels", envvar="EXAMENBRON_REGELS", metavar="MAP",
                     type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Map met een regelmap per schooljaar (ook EXAMENBRON_REGELS)"),
        click.option("--codetabellen", envvar="EXAMENBRON_CODETABELLEN", metavar="MAP",
                     type=click.Path(exists=True, file_okay=False, path_type=Path),
                     help="Map met een codetabelmap per schooljaar (ook EXAMENBRON_CODETABELLEN)"),
    ]):
        command = decorator(command)
    return command


class Voortgang:
    """Progress on stderr with rich: only on a terminal, and never with --stil."""

    def __init__(self, stil: bool):
        self.aan = not stil and sys.stderr.isatty()

    @contextlib.contextmanager
    def stap(self, tekst: str):
        """A spinner with `tekst` while a step without countable parts runs."""
        if not self.aan:
            yield
            return
        from rich.console import Console
        with Console(stderr=True).status(tekst):
            yield

    @contextlib.contextmanager
    def balk(self, tekst: str, totaal: int):
        """A progress bar; yields a function to call with the number of parts done."""
        if not self.aan:
            yield lambda klaar: None
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        from rich.console import Console
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=Console(stderr=True), transient=True) as progress:
            taak = progress.add_task(tekst, total=totaal)
            yield lambda klaar: progress.update(taak, completed=klaar)
