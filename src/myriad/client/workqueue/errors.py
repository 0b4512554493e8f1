"""Workqueue errors.

Hierarchy::

    QueueError
    └── ShutDown    the queue was shut down: ``get`` has nothing more to give
"""


class QueueError(Exception):
    pass


class ShutDown(QueueError):
    pass
