from tests.client.conftest import client, server  # noqa: F401  (the same real API server fixtures)
