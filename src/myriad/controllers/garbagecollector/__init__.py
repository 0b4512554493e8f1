"""The garbage collector: the ownership graph, and the collector that acts on it."""
