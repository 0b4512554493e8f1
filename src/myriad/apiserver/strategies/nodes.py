"""Nodes, as upstream's node strategy treats them: a kubelet registers its Node with status, so
a create keeps the status it is given (upstream's PrepareForCreate resets nothing), and a Node
has no metadata.generation."""

from __future__ import annotations

from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy


class NodeStrategy(GenericStrategy):
    tracks_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        """Keeps the status given (the decoded body already holds Go's zero status if none was)."""
