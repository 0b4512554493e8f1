"""The watch cache: per-resource caches that serve lists and watches from memory."""
