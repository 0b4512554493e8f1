"""The scheduler's errors.

Hierarchy::

    SchedulerError
    ├── ConfigError     a scheduler configuration that cannot be used (names the field)
    └── BindError       a binding the API refused (``gone``: the pod no longer exists)
"""

from __future__ import annotations


class SchedulerError(Exception):
    pass


class ConfigError(SchedulerError):
    pass


class BindError(SchedulerError):
    def __init__(self, message: str, *, gone: bool = False) -> None:
        super().__init__(message)
        self.gone = gone
