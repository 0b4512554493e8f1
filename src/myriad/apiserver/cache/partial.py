"""Reading only what a cache entry needs from a stored object: its labels and the paths its
selectable fields are read from.

An entry is built for every stored change, and its object is otherwise never looked at: the
cache serves the stored bytes. :class:`PartialDecoder` holds a msgspec decoder whose type is a
tree of TypedDicts holding just those paths, so the rest of the object is skipped, not built
(a 2 KB pod: 5 µs instead of orjson's 13). What it answers is a plain dict with the same shape
as the whole object along those paths, so the strategy's ``field`` reads it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypedDict

import msgspec

from myriad.api import gojson
from myriad.apiserver.rest.interfaces import Obj

#: Read for every entry, whatever the resource's fields.
LABELS = "metadata.labels"


class PartialDecoder:
    def __init__(self, paths: Iterable[str]) -> None:
        tree: dict[str, Any] = {}
        for path in (LABELS, *paths):
            node = tree
            *parents, last = path.split(".")
            for part in parents:
                below = node.setdefault(part, {})
                if below is None:  # a shorter path reads all of it already
                    break
                node = below
            else:
                node[last] = None
        self._decoder = msgspec.json.Decoder(_typed(tree, "Entry"))

    def decode(self, value: bytes) -> Obj:
        """The object along the decoder's paths; the whole object when its shape is not the one
        the paths expect (an object where a path has text), so that what ``field`` reads is
        always what it would read in the whole object."""
        try:
            return self._decoder.decode(value)
        except msgspec.ValidationError:
            return gojson.loads(value)


def _typed(tree: dict[str, Any], name: str) -> type:
    """A TypedDict of ``tree``'s keys: nested TypedDicts for subtrees, any JSON value at leaves."""
    fields = {key: Any if below is None else _typed(below, f"{name}_{key}") for key, below in tree.items()}
    return TypedDict(name, fields, total=False)  # type: ignore[operator]
