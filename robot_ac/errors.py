"""The one exception type the CLI turns into a readable message instead of a traceback."""


class RobotAcError(Exception):
    """Bad input or state a user can fix: the message names the file, field or value and what was expected."""
