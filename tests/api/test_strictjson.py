"""Keys given twice in a JSON body: the quick colon count never misses one, and the exact parse names them."""

import orjson
import pytest

from myriad.api import gojson
from myriad.api.strictjson import duplicate_fields, may_have_duplicates


@pytest.mark.parametrize(("body", "repeated"), [
    (b'{"a":1,"b":{"c":"x:y","d":[{"e":"http://h:1"}]}}', False),
    (b'{"a":1,"a":2}', True),
    (b'{"a":1,"b":{"c":1,"c":"x:y"}}', True),
    (b'{"a" : 1, "b"\n:\t{"c" :1}}', False),  # spaces around colons are still one colon a key
    (b'{"a" : 1, "a"\n:\t2}', True),
    (b'{"a":"\\u003a","b":"\\u003A"}', False),  # escaped colons decode to the plain ones orjson writes
    (b'{"a":"\\u003a","a":1}', True),
    (b'{"k:{\\"name\\":\\"app\\"}":{}}', False),  # managedFields keys hold colons and escaped quotes
    (b'{"k:{\\"name\\":\\"app\\"}":{},"k:{\\"name\\":\\"app\\"}":{".":{}}}', True),
    (b'{"items":[{"a":1},{"a":1,"b":2,"a":3}]}', True),
])
def test_the_colon_count_flags_every_body_that_repeats_a_key(body: bytes, repeated: bool) -> None:
    flagged = may_have_duplicates(body, gojson.loads(body))
    assert flagged is repeated
    assert bool(duplicate_fields(body)) is repeated


def test_a_body_orjson_cannot_encode_again_goes_to_the_exact_parse() -> None:
    deep = b'{"a":' * 300 + b"1" + b"}" * 300
    decoded = gojson.loads(deep)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(decoded)
    assert may_have_duplicates(deep, decoded) is True
    assert duplicate_fields(deep) == []


def test_duplicate_fields_are_named_by_their_paths_in_document_order() -> None:
    body = b'{"spec":{"containers":[{"name":"a","image":"x","image":"y"}]},"kind":"Pod","kind":"Pod"}'
    assert duplicate_fields(body) == ["spec.containers[0].image", "kind"]
