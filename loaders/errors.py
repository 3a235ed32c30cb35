"""The loaders' own error type: a build that cannot finish, said in one paragraph."""
from __future__ import annotations


class BuildError(Exception):
    """A build could not finish (unreadable file, missing required column, unknown CRS...).

    The message is one paragraph a person can act on: which file, what is wrong, what
    is expected. The previous store is left untouched when this is raised.
    """
