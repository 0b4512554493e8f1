"""Controllers: ordinary API clients built on :mod:`myriad.client.controller`."""
