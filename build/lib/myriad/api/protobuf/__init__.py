"""Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``), decoded into
the same JSON-shaped dicts a JSON body gives: see :func:`decode_body`."""

from myriad.api.protobuf.decode import ProtobufError, decode_body

__all__ = ["ProtobufError", "decode_body"]
