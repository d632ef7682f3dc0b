"""The rule evaluators: `pandas` (vectorised, the default) and `durable` (durable-rules, Rete).

Both take the same compiled rules and the same context and return the same findings table, so
the durable backend serves as an independent oracle for the vectorised compiler.
"""

from examenbron.engine.errors import BackendUnavailable


def checker(name: str):
    """The check function of backend `name`: (ctx, rules, *, schooljaar, examens, skip) -> findings."""
    if name == "pandas":
        from examenbron.engine.evaluation.check import run_checks
        return run_checks
    if name == "durable":
        from examenbron.engine.evaluation.durable import run_checks
        return run_checks
    raise BackendUnavailable(f"unknown engine {name!r}; choose pandas or durable")
