"""The one error type the CLI turns into a one-line message and exit status 2."""


class UsageFailure(Exception):
    """Unusable input or arguments: printed as one line, exit status 2."""
