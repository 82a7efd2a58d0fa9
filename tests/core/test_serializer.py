"""The JSON serializer: symmetric with itself, faithful to the standard library, quiet."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given

from coatcheck import JSONSerializer
from coatcheck_testing.hypothesis import json_values, session_states

SERIALIZER = JSONSerializer()


@given(json_values())
def test_dumps_writes_what_the_standard_library_writes(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    assert SERIALIZER.dumps(value) == expected
    assert SERIALIZER.loads(expected) == value


@given(session_states())
def test_loads_many_reads_what_dumps_wrote(state: dict[str, Any]) -> None:
    texts = {key: SERIALIZER.dumps(value) for key, value in state.items()}
    assert SERIALIZER.loads_many(texts) == state


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "[1,NaN]", '{"a":Infinity}'])
def test_nan_and_infinities_are_refused_both_ways(text: str) -> None:
    with pytest.raises(ValueError):
        SERIALIZER.loads(text)
    with pytest.raises(ValueError):
        SERIALIZER.loads_many({"k": text})
    with pytest.raises(ValueError):
        SERIALIZER.dumps(json.loads(text))


def test_allow_nan_reads_and_writes_them() -> None:
    serializer = JSONSerializer(allow_nan=True)
    assert serializer.dumps(math.inf) == "Infinity"
    assert serializer.loads("-Infinity") == -math.inf
    assert math.isnan(serializer.loads("NaN"))


@pytest.mark.parametrize("text", ['"secret" trailing', "secret-token", '{"pin":1234', ""])
def test_errors_never_quote_the_stored_text(text: str) -> None:
    """Error messages reach logs; the stored text is session data."""
    for read in (SERIALIZER.loads, lambda t: SERIALIZER.loads_many({"k": t})):
        with pytest.raises(ValueError) as raised:
            read(text)
        message = str(raised.value)
        assert "secret" not in message and "1234" not in message


def test_options_make_distinct_serializers() -> None:
    assert JSONSerializer() == JSONSerializer()
    assert JSONSerializer(sort_keys=True) != JSONSerializer()
    assert repr(JSONSerializer()) == "JSONSerializer()"
    assert repr(JSONSerializer(allow_nan=True)) == "JSONSerializer(allow_nan=True)"
    assert JSONSerializer(sort_keys=True).dumps({"b": 1, "a": 2}) == '{"a":2,"b":1}'
