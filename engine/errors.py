"""Errors that carry a one-line reason a runner or coach can act on.

The command line turns every ``LeanlineError`` into exit status 2 with ``str(error)`` on stderr; the
dashboard shows the same text. Anything else escaping the engine is a bug.
"""


class LeanlineError(Exception):
    """Base class: the input cannot be analysed, and the message says why."""


class BadInputError(LeanlineError):
    """The file is unreadable, malformed, or has the wrong columns or units."""


class NotRunningError(LeanlineError):
    """The movement is not running (e.g. walking: no flight phase)."""


class TooFewContactsError(LeanlineError):
    """Too few ground contacts were found to report anything meaningful."""


class NoPersonError(LeanlineError):
    """No person was found in the video."""
