"""Hollow nodes: simulated kubelets that register Nodes and heartbeat their Leases (``myriad nodes``)."""
