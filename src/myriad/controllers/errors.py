"""Errors of the controller manager.

    ConfigError      a flag that cannot be used (the message names it); the command exits 1
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A bad flag value; the message names the flag."""
