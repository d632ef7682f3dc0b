"""Domain exceptions, and the one did-you-mean suggestion their messages use.

The CLI turns the exceptions into messages and exit codes, never tracebacks.
"""

import difflib
import errno


class ExamenbronError(Exception):
    """Base class of every error the user is meant to read."""

    exit_code = 2


class InputError(ExamenbronError):
    """A results file cannot be read or lacks required columns (exit code 2)."""


class RuleError(ExamenbronError):
    """A rule file is invalid: the message names file:line:column and what was expected."""

    def __init__(self, message, *, file=None, line=None, column=None):
        self.message, self.file, self.line, self.column = message, file, line, column
        where = ":".join(str(p) for p in (file, line, column) if p is not None)
        super().__init__(f"{where}: {message}" if where else message)


class RuleErrors(ExamenbronError):
    """Several rule errors at once, so a policy officer sees every typo in one run."""

    def __init__(self, errors):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class CodeTableError(ExamenbronError):
    """A code table is missing or invalid."""


class BackendUnavailable(ExamenbronError):
    """The requested evaluator cannot run on this machine (exit code 2)."""


def closest(word: str, known, *, cutoff: float = 0.6) -> str | None:
    """The known name a typo most likely meant (difflib's closest match), None when none is close."""
    matches = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(match: str | None, *, toelichting: str = "", form: str = "; {}") -> str:
    """The Dutch suggestion "bedoelde u 'x'?" placed in `form`, or "" when there is no match."""
    if match is None:
        return ""
    note = f" ({toelichting})" if toelichting else ""
    return form.format(f"bedoelde u {match!r}{note}?")


def suggestion(word: str, known, *, cutoff: float = 0.6, form: str = "; {}") -> str:
    """"; bedoelde u 'x'?" for the known name closest to `word`, "" when none is close."""
    return did_you_mean(closest(word, known, cutoff=cutoff), form=form)


_OS_REASONS = {errno.ENOENT: "bestaat niet", errno.EACCES: "geen toestemming", errno.EPERM: "geen toestemming",
               errno.EISDIR: "is een map, geen bestand", errno.ENOTDIR: "een deel van het pad is geen map",
               errno.EEXIST: "bestaat al", errno.ENOSPC: "de schijf is vol", errno.EROFS: "alleen-lezen schijf",
               errno.EMFILE: "te veel open bestanden", errno.ENAMETOOLONG: "de naam is te lang"}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Dutch ("bestaat niet", "geen toestemming"; a rare error by its
    errno name, "systeemfout EIO", never the system's English text)."""
    if isinstance(exc, UnicodeDecodeError):
        return "geen UTF-8-tekst"
    return _OS_REASONS.get(exc.errno) or f"systeemfout {errno.errorcode.get(exc.errno, exc.errno or '')}".strip()
