"""User-facing errors: the CLI prints their message as one line and exits non-zero."""


class ObliviateError(Exception):
    """Bad input or settings; the message names the file or value and what is wrong."""

    exit_code = 2


class WorkspaceBusy(ObliviateError):
    """Another process holds the workspace's writer lock."""

    exit_code = 3
