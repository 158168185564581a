"""The error type for bad input a user can fix (files, arguments, data)."""


class JaxtrackError(Exception):
    """Bad input: the message names the file, line or argument and what was expected.

    The command line prints these as one line without a traceback; everything else is a bug and
    keeps its traceback.
    """


def brief(error, limit=300):
    """``Type: message`` of ``error`` for a one-line error: the innermost explicit cause (orbax
    wraps TensorStore's reason in a many-line dump of the store's spec), whitespace collapsed and
    the message cut at ``limit`` characters."""
    while error.__cause__ is not None:
        error = error.__cause__
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message[:limit]}"
