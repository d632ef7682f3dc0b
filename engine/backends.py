"""The rule evaluators: `pandas` (vectorised, the default) and `durable` (durable-rules, Rete).

Both take the same compiled rules and the same context and return the same findings table, so
the durable backend serves as an independent oracle for the vectorised compiler.
"""

from engine.errors import ExamenbronError


class BackendUnavailable(ExamenbronError):
    """The requested evaluator cannot run on this machine (exit code 2)."""


def checker(name: str):
    """The check function of backend `name`: (ctx, rules, *, schooljaar, examens, skip) -> findings."""
    if name == "pandas":
        from engine.check import run_checks
        return run_checks
    if name == "durable":
        from engine.durable_backend import run_checks
        return run_checks
    raise BackendUnavailable(f"unknown engine {name!r}; choose pandas or durable")
