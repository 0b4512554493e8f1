"""Generated hostile requests against a real server: bodies, patches, selectors and query strings
that Hypothesis makes up. Whatever they are, the server answers each with a status below 500,
within the client's timeout, and its memory stays bounded.

``make test`` runs a short, fixed budget (the same examples every run). A longer run, with new
examples each time::

    MYRIAD_FUZZ_EXAMPLES=5000 .venv/bin/python -m pytest tests/apiserver/test_fuzz.py
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.apiserver.conftest import RunningServer

EXAMPLES = int(os.environ.get("MYRIAD_FUZZ_EXAMPLES", "40"))
#: The suite's per-test timeout would cut a long run short; each request has its own (15 s).
pytestmark = pytest.mark.timeout(120 + EXAMPLES)
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize="MYRIAD_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
MB = 1024 * 1024
CMS = "/api/v1/namespaces/default/configmaps"
PODS = "/api/v1/namespaces/default/pods"
RESOURCES = [CMS, PODS, "/apis/apps/v1/namespaces/default/deployments", "/api/v1/namespaces/default/services",
             "/apis/rbac.authorization.k8s.io/v1/clusterroles", "/api/v1/namespaces",
             "/apis/batch/v1/namespaces/default/jobs", "/apis/coordination.k8s.io/v1/namespaces/default/leases"]
KEYS = ["apiVersion", "kind", "metadata", "name", "namespace", "labels", "annotations", "spec", "status", "data",
        "replicas", "selector", "template", "containers", "image", "ports", "type", "finalizers", "ownerReferences",
        "uid", "resourceVersion", "generation", "$patch", "$retainKeys", "$setElementOrder/containers",
        "$deleteFromPrimitiveList/finalizers", "items", "rules", "value", ""]

scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
                    st.sampled_from(["v1", "ConfigMap", "Pod", "fuzzed", "100m", "lots", "-1", "1e308", "\ufffd"]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=6), st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=12)), inner,
                                                  max_size=6)), max_leaves=40)


@st.composite
def objects(draw: st.DrawFn) -> dict[str, Any]:
    """A body that looks like an object, with made-up parts: mostly well-formed at the top, so
    the request gets past decoding into defaulting, validation and storage."""
    obj: dict[str, Any] = {"apiVersion": draw(st.sampled_from(["v1", "apps/v1", "", "v2"])),
                           "kind": draw(st.sampled_from(["ConfigMap", "Pod", "Deployment", "Service", "Namespace",
                                                         "ClusterRole", "Job", "Lease", "Bogus"])),
                           "metadata": {"name": draw(st.sampled_from(["fuzzed", "Fuzzed!", "", "a" * 300, "x"]))}}
    extra = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5))
    obj.update(extra)
    if draw(st.booleans()):
        obj["metadata"] = draw(json_values)
    return obj


json_patches = st.lists(st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
     "path": st.one_of(st.sampled_from(["/data", "/data/a", "/metadata/name", "/metadata/labels/x", "/kind",
                                        "/apiVersion", "/spec/containers/0", "/spec/containers/-", "", "/",
                                        "/metadata/annotations/a~1b", "/~2"]), st.text(max_size=20))},
    optional={"value": json_values, "from": st.sampled_from(["/data", "/metadata", "/", "/nope"])}), max_size=8)
selectors = st.text(alphabet="abcxyz=!,() in notin-./_0123456789", max_size=40)
queries = st.dictionaries(st.sampled_from(["limit", "timeoutSeconds", "watch", "resourceVersion",
                                           "resourceVersionMatch", "continue", "fieldValidation", "dryRun",
                                           "fieldManager", "labelSelector", "fieldSelector", "propagationPolicy",
                                           "gracePeriodSeconds", "allowWatchBookmarks", "sendInitialEvents",
                                           "includeObject", "pretty"]),
                          st.one_of(st.sampled_from(["0", "1", "-1", "true", "abc", "99999999999999999999", "All",
                                                     "Strict", "Warn", "NotOlderThan", "Exact", ""]),
                                    st.text(max_size=20)), max_size=4)
content_types = st.sampled_from(["application/json", "application/yaml", "application/vnd.kubernetes.protobuf",
                                 "application/merge-patch+json", "application/json-patch+json",
                                 "application/strategic-merge-patch+json", "text/plain", ""])


def _request(apiserver: RunningServer, method: str, path: str, body: bytes | None, content_type: str,
             accept: str = "application/json") -> int:
    headers = {"Accept": accept}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(apiserver.url + path, method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # no hang: a timeout fails the test
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def _resident(apiserver: RunningServer) -> float:
    _, body = apiserver.get("/metrics")
    line = next(line for line in body.decode().splitlines() if line.startswith("process_resident_memory_bytes "))
    return float(line.split()[1])


@pytest.fixture(scope="module")
def baseline(apiserver: RunningServer) -> float:
    apiserver.send("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "target"},
                                 "data": {"a": "1"}})
    return _resident(apiserver)


def _no_5xx(apiserver: RunningServer, baseline: float, code: int, what: object) -> None:
    assert code < 500, what
    assert _resident(apiserver) - baseline < 300 * MB


@FUZZ
@given(path=st.sampled_from(RESOURCES), body=st.one_of(objects().map(lambda o: json.dumps(o).encode()),
                                                        st.binary(max_size=200)),
       content_type=content_types, method=st.sampled_from(["POST", "PUT"]), query=queries)
def test_generated_bodies_never_get_a_5xx(apiserver: RunningServer, baseline: float, path: str, body: bytes,
                                          content_type: str, method: str, query: dict[str, str]) -> None:
    target = path + ("/fuzzed" if method == "PUT" else "") + ("?" + urllib.parse.urlencode(query) if query else "")
    code = _request(apiserver, method, target, body, content_type)
    _no_5xx(apiserver, baseline, code, (method, target, body[:300]))


@FUZZ
@given(patch=st.one_of(json_patches, json_values, st.dictionaries(st.sampled_from(KEYS), json_values, max_size=5)),
       content_type=st.sampled_from(["application/merge-patch+json", "application/json-patch+json",
                                     "application/strategic-merge-patch+json"]),
       path=st.sampled_from([CMS + "/target", PODS + "/missing", CMS + "/target/status"]))
def test_generated_patches_never_get_a_5xx(apiserver: RunningServer, baseline: float, patch: Any, content_type: str,
                                           path: str) -> None:
    code = _request(apiserver, "PATCH", path, json.dumps(patch).encode(), content_type)
    _no_5xx(apiserver, baseline, code, (content_type, patch))


@FUZZ
@given(path=st.sampled_from(RESOURCES), labels=selectors, fields=selectors, query=queries,
       accept=st.sampled_from(["application/json", "application/yaml", "application/json;as=Table;v=v1;g=meta.k8s.io",
                               "application/vnd.kubernetes.protobuf", "text/html", "*/*"]))
def test_generated_selectors_and_query_strings_never_get_a_5xx(apiserver: RunningServer, baseline: float, path: str,
                                                               labels: str, fields: str, query: dict[str, str],
                                                               accept: str) -> None:
    query = {**query, "labelSelector": labels, "fieldSelector": fields}
    if "watch" in query or "timeoutSeconds" in query:
        query["timeoutSeconds"] = "1"  # a watch that starts ends within the client's timeout
    code = _request(apiserver, "GET", path + "?" + urllib.parse.urlencode(query), None, "", accept=accept)
    _no_5xx(apiserver, baseline, code, (path, query, accept))
    assert apiserver.get("/readyz")[0] == 200
