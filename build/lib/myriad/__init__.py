"""Myriad: a Kubernetes-compatible control plane written in Python, built for scale."""

__version__ = "0.1.0"
