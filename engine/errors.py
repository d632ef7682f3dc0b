"""Domain exceptions; the CLI turns them into messages and exit codes, never tracebacks."""


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
