"""Objects kept compressed at rest: an informer's cache may hold each object's JSON compressed
with zstandard against a dictionary made of that informer's own objects.

Objects of one resource repeat the same keys, the same defaults and mostly the same values, so a
raw-content dictionary of a few of them lets each compress to a few hundred bytes or less (a
2.9 KB pod to 130 B, a 12 KB Node to 90 B, in ``bench memory``'s cluster). A :class:`Packed`
object keeps its view as any :class:`~myriad.client.objects.Object` does (with no slice of the
JSON left in it), so reading what the view holds costs nothing more; a whole read decompresses
the JSON (about 3 µs for a pod) and decodes it as for any Object, into the same bounded FIFO of
decoded objects.

A :class:`Packer` serves one informer. Its dictionary is made once, from the first ``samples``
objects it is given (or fewer, once they reach ``dictionary_bytes``); those few stay
uncompressed. Objects keep a reference to their Packer, so what was packed stays readable
whatever happens to the informer. A list's objects are packed straight from their slices of the
list's body (:meth:`Packer.pack_json`): a list of 200,000 pods never holds them all uncompressed.

Concurrency: loop only (a Packer's compressor is not thread-safe).
"""

from __future__ import annotations

from typing import Any

import zstandard

from myriad.client.objects import Object, detached
from myriad.client.views import View

#: zstandard's level: 1 is its fastest, and with a dictionary of the same kind of objects
#: higher levels gain a few bytes for twice the CPU.
LEVEL = 1
#: Objects sampled into a dictionary, and the most bytes it holds.
SAMPLES = 8
DICTIONARY_BYTES = 32 << 10


class Packer:
    """Compresses one informer's objects against a dictionary of its own objects' JSON."""

    def __init__(self, *, level: int = LEVEL, samples: int = SAMPLES, dictionary_bytes: int = DICTIONARY_BYTES) -> None:
        if level < 1 or samples < 1 or dictionary_bytes < 1:
            raise ValueError("level, samples and dictionary_bytes must be positive")
        self._level, self._wanted, self._limit = level, samples, dictionary_bytes
        self._samples: list[bytes] = []
        self._compress: Any = None
        self._decompress: Any = None
        #: Bytes of JSON the dictionary holds (0 until it is made).
        self.dictionary_size = 0

    def pack(self, obj: Object) -> Object:
        """``obj`` with its JSON compressed; as it is when it has none (a view alone), is packed
        already, is one of the dictionary's samples, or would not get smaller."""
        if not obj.raw or isinstance(obj, Packed):
            return obj
        return self._pack(obj.raw, obj.view, obj)

    def pack_json(self, raw: bytes | memoryview | Any, view: View) -> Object:
        """The Object of ``raw`` (any buffer: a slice of a list's body) and its view decoded
        from it, compressed as :meth:`pack` would; neither keeps a reference to ``raw``."""
        return self._pack(raw, view, None)

    def unpack(self, packed: bytes) -> bytes:
        return self._decompress(packed)

    def _pack(self, raw: Any, view: View, whole: Object | None) -> Object:
        if self._compress is None:
            whole = whole or Object(bytes(raw), detached(view))
            self._sample(whole.raw)
            return whole
        packed = self._compress(raw)
        if len(packed) >= len(raw):
            return whole or Object(bytes(raw), detached(view))
        # A copy of exactly its size: zstandard shrinks its output buffer (sized for the worst
        # case) in place, and the chunk freed behind it, too small for the next one, is lost.
        return Packed(bytes(memoryview(packed)), detached(view), packer=self)

    def _sample(self, raw: bytes) -> None:
        self._samples.append(raw)
        content = b"".join(self._samples)
        if len(self._samples) < self._wanted and len(content) < self._limit:
            return
        content = content[-self._limit:]
        dictionary = zstandard.ZstdCompressionDict(content, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
        dictionary.precompute_compress(level=self._level)
        self._compress = zstandard.ZstdCompressor(level=self._level, dict_data=dictionary, write_checksum=False,
                                                  write_content_size=True, write_dict_id=False).compress
        self._decompress = zstandard.ZstdDecompressor(dict_data=dictionary).decompress
        self.dictionary_size = len(content)
        self._samples = []


class Packed(Object, gc=False):
    """An Object whose ``raw`` is its JSON compressed by ``packer``."""

    packer: Packer | None = None

    def _json(self) -> bytes:
        assert self.packer is not None
        return self.packer.unpack(self.raw)
