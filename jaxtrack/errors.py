"""The error type for bad input a user can fix (files, arguments, data)."""


class JaxtrackError(Exception):
    """Bad input: the message names the file, line or argument and what was expected.

    The command line prints these as one line without a traceback; everything else is a bug and
    keeps its traceback.
    """
