"""Giving freed heap memory back to the kernel once a component has filled its caches.

Objects above 512 bytes (an informer object's JSON, a list page) come from the C allocator,
not Python's. After a component's first list its RSS stays at the list's high-water mark: the
pages and the decoding's garbage are freed, but glibc keeps the freed chunks in its heap.
:func:`release_free_memory` (glibc's ``malloc_trim(0)``) returns the free pages: on 200,000 pods
held as views only, RSS went from 820 to 181 MiB. Elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def _trim() -> object | None:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


_MALLOC_TRIM = _trim()


def release_free_memory() -> bool:
    """Returns the C heap's free pages to the kernel; False where that is not possible."""
    if _MALLOC_TRIM is None:
        return False
    _MALLOC_TRIM(0)  # type: ignore[operator]
    return True
