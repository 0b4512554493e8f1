"""Hollow nodes run against a real ``myriad apiserver`` subprocess (the API server tests' fixture)."""

from tests.apiserver.conftest import apiserver  # noqa: F401  (the fixture, shared)
