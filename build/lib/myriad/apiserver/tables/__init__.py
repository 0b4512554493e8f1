"""Server-side printing: the meta.k8s.io Table representation of API objects."""
