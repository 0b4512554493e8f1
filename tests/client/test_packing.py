"""Objects kept compressed at rest: zstandard against a dictionary of the informer's own objects."""

from __future__ import annotations

import copy

import orjson
import pytest

from myriad.client import objects
from myriad.client.objects import Object, ObjectCodec, decoded_bytes, set_decoded_budget, to_json
from myriad.client.packing import Packed, Packer
from myriad.client.views import PodView
from tests.client.test_objects import _pod

CODEC = ObjectCodec(PodView)


@pytest.fixture(autouse=True)
def _fresh_fifo():
    yield
    set_decoded_budget(objects.DEFAULT_DECODED_BUDGET)


def _packer(samples: int = 2) -> Packer:
    return Packer(samples=samples)


def test_the_first_objects_are_the_dictionarys_samples_and_the_rest_are_packed_small():
    packer = _packer(samples=2)
    held = [packer.pack(CODEC.object(orjson.dumps(_pod(f"web-{i}")))) for i in range(10)]
    assert [isinstance(obj, Packed) for obj in held] == [False] * 2 + [True] * 8
    assert packer.dictionary_size == sum(len(obj.raw) for obj in held[:2])
    whole = len(orjson.dumps(_pod("web-9")))
    assert len(held[9].raw) < whole / 5, (len(held[9].raw), whole)


def test_a_packed_object_reads_as_the_object_it_holds():
    packer = _packer(samples=1)
    packer.pack(CODEC.object(orjson.dumps(_pod("sample"))))
    original = CODEC.object(orjson.dumps(_pod("web-1", podIP="10.0.0.1")))
    packed = packer.pack(original)
    assert isinstance(packed, Packed) and packed.raw != original.raw
    assert (packed.name, packed.key, packed.labels, packed.view.node_name) == \
        ("web-1", "shop/web-1", {"app": "web", "tier": "front"}, "node-7")
    assert packed.annotations == {"note": "x" * 50}
    assert packed["status"]["podIP"] == "10.0.0.1"
    assert packed.decode() == copy.deepcopy(packed) == orjson.loads(original.raw)
    assert orjson.loads(orjson.dumps({"o": packed}, default=to_json))["o"] == orjson.loads(original.raw)
    assert packed == original and original == packed
    assert packer.pack(packed) is packed  # packed once
    assert packed.view_only() == original.view_only() and packed.view_only().raw == b""


def test_packed_objects_of_different_json_are_not_equal():
    packer = _packer(samples=1)
    packer.pack(CODEC.object(orjson.dumps(_pod("sample"))))
    one, two = (packer.pack(CODEC.object(orjson.dumps(_pod("web", podIP=ip)))) for ip in ("10.0.0.1", "10.0.0.2"))
    assert one != two


def test_decoded_packed_objects_count_their_json_against_the_budget():
    packer = _packer(samples=1)
    packer.pack(CODEC.object(orjson.dumps(_pod("sample"))))
    raws = [orjson.dumps(_pod(f"p{i}")) for i in range(6)]
    held = [packer.pack(CODEC.object(raw)) for raw in raws]
    set_decoded_budget(2 * len(raws[0]))
    for obj in held:
        obj.get("spec")
    assert decoded_bytes() == 2 * len(raws[0])
    assert [obj._decoded is not None for obj in held] == [False] * 4 + [True] * 2


def test_a_list_page_is_packed_from_its_slices_of_the_body():
    packer = _packer(samples=1)
    items = [_pod(f"web-{i}") for i in range(5)]
    body = orjson.dumps({"kind": "PodList", "metadata": {"resourceVersion": "7"}, "items": items})
    page = CODEC.page(body, pack=packer.pack_json)
    assert [type(obj) for obj in page.items] == [Object] + [Packed] * 4
    assert [obj.decode() for obj in page.items] == items
    assert page.items[3].annotations == {"note": "x" * 50}
    # the views hold copies: nothing in them is a slice of the body
    assert all(obj.view.metadata.annotations_json.copy() == obj.view.metadata.annotations_json
               for obj in page.items)


def test_an_object_that_would_not_shrink_stays_as_it_is():
    packer = _packer(samples=1)
    packer.pack(CODEC.object(orjson.dumps(_pod("sample"))))
    tiny = CODEC.object(b'{"zq":"xj"}')
    assert packer.pack(tiny) is tiny


def test_a_packer_refuses_nonsense_settings():
    with pytest.raises(ValueError, match="positive"):
        Packer(samples=0)
