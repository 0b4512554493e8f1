"""Freed C-heap memory goes back to the kernel where glibc allows it."""

from __future__ import annotations

import platform

from myriad.malloctrim import release_free_memory


def test_free_memory_is_released_on_glibc():
    released = release_free_memory()
    assert released is (platform.libc_ver()[0] == "glibc")
