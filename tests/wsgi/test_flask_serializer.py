"""`FlaskTaggedJSON` agrees with Flask's own tagged serializer, and is deterministic."""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from typing import Any

import pytest
from flask.json.tag import JSONTag, TaggedJSONSerializer
from hypothesis import example, given
from hypothesis import strategies as st
from markupsafe import Markup

from coatcheck_wsgi.flask import FlaskTaggedJSON

FLASK = TaggedJSONSerializer()
OURS = FlaskTaggedJSON()

keys = st.one_of(st.text(max_size=8), st.sampled_from([" t", " di", " b", " m", " u", " d"]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(max_size=16),
    st.uuids(),
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9999, 1, 1),
        timezones=st.just(timezone.utc),
    ).map(lambda value: value.replace(microsecond=0)),
    st.text(max_size=8).map(Markup),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=12,
)


def shuffled(value: Any, rng: random.Random) -> Any:
    """An equal value whose dicts list their keys in another order."""
    if isinstance(value, dict):
        items = [(key, shuffled(item, rng)) for key, item in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [shuffled(item, rng) for item in value]
    if isinstance(value, tuple):
        return tuple(shuffled(item, rng) for item in value)
    return value


def same(left: Any, right: Any) -> bool:
    """Equal, with the same types all the way down."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(same(left[k], right[k]) for k in left)
    if isinstance(left, (list, tuple)):
        return len(left) == len(right) and all(map(same, left, right))
    return bool(left == right)


@given(values)
def test_round_trips_like_flasks_own_serializer(value: Any) -> None:
    assert same(OURS.loads(OURS.dumps(value)), FLASK.loads(FLASK.dumps(value)))


@given(values, st.randoms(use_true_random=False))
def test_equal_values_give_equal_text(value: Any, rng: random.Random) -> None:
    assert OURS.dumps(shuffled(value, rng)) == OURS.dumps(value)
    assert OURS.dumps(OURS.loads(OURS.dumps(value))) == OURS.dumps(value)


@pytest.mark.parametrize("text", ["", "{", '"unterminated', "[1,", "nope"])
def test_unreadable_text_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        OURS.loads(text)


def test_tags_registered_on_the_tagger_apply() -> None:
    class TagComplex(JSONTag):
        key = " c"

        def check(self, value: Any) -> bool:
            return isinstance(value, complex)

        def to_json(self, value: Any) -> Any:
            return [value.real, value.imag]

        def to_python(self, value: Any) -> Any:
            return complex(*value)

    serializer = FlaskTaggedJSON(TaggedJSONSerializer())
    # As Flask's docs do it: app.session_interface.serializer.register(...)
    serializer.register(TagComplex, index=0)
    assert serializer.loads(serializer.dumps({"z": 1 + 2j})) == {"z": 1 + 2j}


class TagNothing(JSONTag):
    """A tag that never applies: registering it turns off the shortcut for plain data."""

    key = " never"

    def check(self, value: Any) -> bool:
        return False


def _tagging_every_value() -> FlaskTaggedJSON:
    serializer = FlaskTaggedJSON(TaggedJSONSerializer())
    serializer.register(TagNothing)
    return serializer


TAGGING_EVERY_VALUE = _tagging_every_value()


plain_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text()),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=2)
    ),
    max_leaves=12,
)


@given(st.one_of(plain_values, values))
@example({" t": [1, 2]})
@example([{"a": {" di": {}}}])
def test_plain_data_skips_the_tags_and_gives_the_same_text(value: Any) -> None:
    assert OURS.dumps(value) == TAGGING_EVERY_VALUE.dumps(value)


def test_a_registered_tag_for_plain_dicts_still_applies() -> None:
    class TagPoint(JSONTag):
        key = " p"

        def check(self, value: Any) -> bool:
            return type(value) is dict and value.keys() == {"x", "y"}

        def to_json(self, value: Any) -> Any:
            return [value["x"], value["y"]]

        def to_python(self, value: Any) -> Any:
            return {"x": value[0], "y": value[1], "tagged": True}

    serializer = FlaskTaggedJSON(TaggedJSONSerializer())
    serializer.register(TagPoint, index=0)

    text = serializer.dumps([{"x": 1, "y": 2}])

    assert text == '[{" p":[1,2]}]'
    assert serializer.loads(text) == [{"x": 1, "y": 2, "tagged": True}]


@pytest.mark.parametrize("text", ['"x"y"', '"x\ny"', '"a\tb"', '"unterminated', '"x"junk'])
def test_text_that_is_not_one_json_value_is_refused(text: str) -> None:
    """Non-JSON in the store is garbage (a stale session), never a value."""
    with pytest.raises(ValueError):
        OURS.loads(text)
    with pytest.raises(ValueError):
        FLASK.loads(text)


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), [1.5, float("inf")]])
def test_infinities_round_trip_as_in_flask(value: Any) -> None:
    assert OURS.loads(OURS.dumps(value)) == FLASK.loads(FLASK.dumps(value)) == value


@given(values, st.sampled_from([(",", ":"), (", ", ": "), (" ,", " :")]))
@example((1, 2), (",", ":"))
@example({" di": {"a": 1}}, (", ", ": "))
def test_reads_text_from_any_writer_as_flask_does(value: Any, separators: Any) -> None:
    """Text written with other spacing (another writer's) is untagged where Flask's is."""
    text = json.dumps(FLASK.tag(value), separators=separators, sort_keys=True)
    assert same(OURS.loads(text), FLASK.loads(text))
    assert same(OURS.loads_many({"k": text, "n": "1"})["k"], FLASK.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{" t":[1,2]}',
        '{ " t":[1,2]}',
        '{\n" t":[1,2]}',
        '{"\\u0020t":[1,2]}',
        '[{"a":1},{" b":"eA=="}]',
        '{"x":{" di":{" t__":[1]}}}',
    ],
)
def test_tagged_objects_are_untagged_however_they_are_written(text: str) -> None:
    assert same(OURS.loads(text), FLASK.loads(text))
    texts = {"plain": '{"a":[1,{"b":2}]}', "tagged": text}
    assert same(OURS.loads_many(texts)["tagged"], FLASK.loads(text))
    assert OURS.loads_many(texts)["plain"] == {"a": [1, {"b": 2}]}


def test_a_serializer_whose_default_tags_have_other_keys_still_untags() -> None:
    """A tagger class whose own defaults add a tag (with a key unlike Flask's) writes and
    reads through it: the shortcut for plain data does not skip a tag it cannot see."""

    class TagAt(JSONTag):
        key = "@set"

        def check(self, value: Any) -> bool:
            return isinstance(value, (set, frozenset))

        def to_json(self, value: Any) -> Any:
            return sorted(value)

        def to_python(self, value: Any) -> Any:
            return set(value)

    tags = [TagAt, *TaggedJSONSerializer.default_tags]

    class WithSets(TaggedJSONSerializer):
        default_tags = tags

    serializer = FlaskTaggedJSON(WithSets())
    text = serializer.dumps({"s": {2, 1}})

    assert text == '{"s":{"@set":[1,2]}}'
    assert serializer.loads(text) == {"s": {1, 2}}
    assert serializer.loads_many({"s": text}) == {"s": {"s": {1, 2}}}
