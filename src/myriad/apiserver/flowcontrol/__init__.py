"""Flow control: concurrency caps and priority levels in front of every resource request."""
