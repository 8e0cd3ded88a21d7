"""The one error of a command line that cannot be run as given, and the type command groups register on."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from service.errors import RequestError


class UsageError(RequestError):
    """A user error in a command (a missing option, a file that is not a hook request): one line on
    stderr, exit status 2, reported by `service.cli.main` like every other `BzraError`."""

    code = "usage"


if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]  # what each group adds its commands to
else:
    Commands = argparse._SubParsersAction
