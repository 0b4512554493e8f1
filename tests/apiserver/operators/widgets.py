"""A small kopf operator for the Widget test CRD, run by test_kopf.py as ``kopf run``.

Creating a widget sets ``status.phase=Created`` and posts an Event with reason ``Created``; changing
``spec.size`` sets ``status.phase=Resized``; deleting one appends a line to the file named by
``WIDGETS_RECORD`` before kopf releases its finalizer.
"""

import os
from pathlib import Path

import kopf

GROUP, VERSION, PLURAL = "kopf.myriad.test", "v1", "widgets"


@kopf.on.startup()
def configure(settings: kopf.OperatorSettings, **_: object) -> None:
    settings.watching.server_timeout = 30
    settings.networking.request_timeout = 10


@kopf.on.create(GROUP, VERSION, PLURAL)
def created(body: kopf.Body, spec: kopf.Spec, patch: kopf.Patch, **_: object) -> None:
    kopf.info(body, reason="Created", message=f"widget created with size {spec.get('size')}")
    patch.status["phase"] = "Created"
    patch.status["observedSize"] = spec.get("size")


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec.size")
def resized(new: object, patch: kopf.Patch, **_: object) -> None:
    patch.status["phase"] = "Resized"
    patch.status["observedSize"] = new


@kopf.on.delete(GROUP, VERSION, PLURAL)
def deleted(name: str, namespace: str, **_: object) -> None:
    with Path(os.environ["WIDGETS_RECORD"]).open("a") as record:
        record.write(f"deleted {namespace}/{name}\n")
