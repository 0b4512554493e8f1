"""``kubectl get`` and ``kubectl get -o wide`` against a real server: the headers and rows the
user sees for kinds whose printers came from upstream's table definitions."""

from __future__ import annotations

import re

import pytest

from tests.apiserver.conftest import RunningServer

MANIFEST = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  schedule: "*/5 * * * *"
  timeZone: Etc/UTC
  suspend: false
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: c, image: busybox}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: pdb}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: example.com/fast
reclaimPolicy: Retain
volumeBindingMode: WaitForFirstConsumer
allowVolumeExpansion: true
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations: {ingressclass.kubernetes.io/is-default-class: "true"}
spec: {controller: k8s.io/ingress-nginx}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ing}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com]}]
  rules: [{host: a.example.com}, {host: b.example.com}]
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
preemptionPolicy: Never
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np}
spec:
  podSelector: {matchLabels: {app: web}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}
- {kind: ServiceAccount, name: robot, namespace: default}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: hpa}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  targetCPUUtilizationPercentage: 50
---
apiVersion: apps/v1
kind: ControllerRevision
metadata: {name: rev}
revision: 3
---
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits: [{type: Container, default: {cpu: 500m}}]
"""

#: Where a row's Age goes: any age of a few seconds or minutes matches it.
AGE = "<age>"
_AGE = re.compile(r"\d+s|\d+m\d*s?")


def _table(output: str) -> tuple[list[str], dict[str, list[str]]]:
    """kubectl's aligned output as its headers and, by name, each row's cells (cut at the
    headers' positions, so empty cells stay in place)."""
    header, *lines = output.rstrip("\n").split("\n")
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    bounds = list(zip(starts, [*starts[1:], None], strict=True))
    rows = [[line[a:b].strip() for a, b in bounds] for line in lines]
    return [header[a:b].strip() for a, b in bounds], {row[0]: row for row in rows}


@pytest.fixture(scope="module")
def created(apiserver: RunningServer) -> RunningServer:
    apiserver.kubectl("create", "-f", "-", input=MANIFEST)
    return apiserver


_HPA = ["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
_HPA_ROW = ["hpa", "Deployment/web", "cpu: <unknown>/50%", "1", "5", "0", AGE]


@pytest.mark.parametrize(("kind", "headers", "row", "wide_headers", "wide_row"), [
    ("cronjobs", ["NAME", "SCHEDULE", "TIMEZONE", "SUSPEND", "ACTIVE", "LAST SCHEDULE", "AGE"],
     ["cj", "*/5 * * * *", "Etc/UTC", "False", "0", "<none>", AGE], ["CONTAINERS", "IMAGES", "SELECTOR"],
     ["c", "busybox", "<none>"]),
    ("serviceaccounts", ["NAME", "AGE"], ["robot", AGE], [], []),
    ("pdb", ["NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"], ["pdb", "2", "N/A", "0", AGE],
     [], []),
    ("storageclasses", ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE", "ALLOWVOLUMEEXPANSION", "AGE"],
     ["fast (default)", "example.com/fast", "Retain", "WaitForFirstConsumer", "true", AGE], [], []),
    ("ingressclasses", ["NAME", "CONTROLLER", "PARAMETERS", "AGE"],
     ["nginx (default)", "k8s.io/ingress-nginx", "<none>", AGE], [], []),
    ("ingresses", ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"],
     ["ing", "nginx", "a.example.com,b.example.com", "", "80, 443", AGE], [], []),
    ("priorityclasses", ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"],
     ["high", "1000", "false", AGE, "Never"], [], []),
    ("networkpolicies", ["NAME", "POD-SELECTOR", "AGE"], ["np", "app=web", AGE], [], []),
    ("rolebindings", ["NAME", "ROLE", "AGE"], ["rb", "ClusterRole/view", AGE], ["USERS", "GROUPS", "SERVICEACCOUNTS"],
     ["alice", "", "default/robot"]),
    ("horizontalpodautoscalers.v1.autoscaling", _HPA, _HPA_ROW, [], []),
    ("horizontalpodautoscalers.v2.autoscaling", _HPA, _HPA_ROW, [], []),
    ("controllerrevisions", ["NAME", "CONTROLLER", "REVISION", "AGE"], ["rev", "<none>", "3", AGE], [], []),
])
def test_kubectl_get_shows_upstreams_columns_and_wide_adds_the_rest(
        created: RunningServer, kind: str, headers: list[str], row: list[str], wide_headers: list[str],
        wide_row: list[str]) -> None:
    for args, want_headers, want_row in (((), headers, row), (("-o", "wide"), headers + wide_headers, row + wide_row)):
        shown, rows = _table(created.kubectl("get", kind, *args).stdout)
        assert shown == want_headers
        cells = [AGE if want == AGE and _AGE.fullmatch(cell) else cell
                 for cell, want in zip(rows[want_row[0]], want_row, strict=True)]
        assert cells == want_row


def test_a_storage_class_fetched_alone_is_not_marked_default_and_limit_ranges_print_created_at(
        created: RunningServer) -> None:
    _, rows = _table(created.kubectl("get", "storageclass", "fast").stdout)
    assert rows["fast"][:2] == ["fast", "example.com/fast"]
    shown, rows = _table(created.kubectl("get", "limitranges").stdout)
    assert shown == ["NAME", "CREATED AT"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", rows["limits"][1])
