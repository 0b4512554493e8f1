"""The request metrics' scope label: upstream's CleanScope, the third dimension of the API SLOs."""

from __future__ import annotations

import pytest

from myriad.apiserver.metrics import scope
from myriad.apiserver.requestinfo import RequestInfo


@pytest.mark.parametrize(("info", "expected"), [
    (RequestInfo(is_resource=True, path="", verb="get", namespace="ns", resource="pods", name="p"), "resource"),
    (RequestInfo(is_resource=True, path="", verb="create", namespace="ns", resource="pods"), "resource"),
    (RequestInfo(is_resource=True, path="", verb="get", resource="nodes", name="n"), "resource"),
    (RequestInfo(is_resource=True, path="", verb="list", namespace="ns", resource="pods"), "namespace"),
    (RequestInfo(is_resource=True, path="", verb="deletecollection", namespace="ns", resource="pods"), "namespace"),
    (RequestInfo(is_resource=True, path="", verb="list", resource="pods"), "cluster"),
    (RequestInfo(is_resource=True, path="", verb="watch", resource="nodes"), "cluster"),
    (RequestInfo(is_resource=False, path="/version"), ""),
])
def test_a_request_is_scoped_as_upstream_scopes_it(info: RequestInfo, expected: str) -> None:
    assert scope(info) == expected
