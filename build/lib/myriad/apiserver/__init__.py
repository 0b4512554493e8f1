"""The Kubernetes REST API over the storage layer: ``myriad apiserver``."""
