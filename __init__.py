"""examenbron: check Dutch VO exam results against the law and DUO's BRON rules before exchange.

The public API for vendors who embed the validator (documented in docs/api.md)::

    import examenbron
    outcome = examenbron.validate("resultaten.csv")            # or a pandas DataFrame
    outcome.bevindingen, outcome.kandidaten                       # bevindingen and one row per exam

Everything under ``examenbron.engine`` is internal and may change between versions.
"""

from __future__ import annotations

import datetime

__all__ = ["validate", "__version__"]


def __getattr__(name):
    """``__version__`` is looked up on first use: importlib.metadata scans every installed package,
    which would slow down the start of every command."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version
        try:
            return version("examenbron")
        except PackageNotFoundError:  # a checkout that was never installed
            return "0+onbekend"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def validate(source, *, schooljaar: str | None = None, peildatum: datetime.date | None = None,
             mapping=None, sheet: str | None = None, engine: str = "pandas"):
    """Validate a results file (path) or a pandas DataFrame in the canonical format; return the Outcome.

    ``schooljaar`` defaults to the school year of the file's examenjaar; ``peildatum`` (the reference
    date for exchange deadlines) to today; ``mapping`` is a YAML path or a dict {their header:
    canonical name}. Raises ``examenbron.engine.errors.ExamenbronError`` for unreadable input.
    """
    from examenbron.engine import pipeline
    from examenbron.engine.inputs import codetables
    from examenbron.engine.inputs.normalise import load_results
    from examenbron.engine.rulesets import load as rulesets

    results = load_results(source, sheet=sheet, mapping=mapping)
    schooljaar = schooljaar or pipeline.schooljaar_from(results)
    return pipeline.run(results, rulesets.load(schooljaar), codetables.load(schooljaar),
                        peildatum=peildatum, backend=engine)
