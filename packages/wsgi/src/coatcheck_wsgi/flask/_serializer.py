"""`FlaskTaggedJSON`: Flask's tagged JSON, one session value at a time.

`coatcheck.pallets.TaggedJSON` with Flask's tagger (``flask.sessions
.session_json_serializer``) and Flask's default JSON provider filled in.
"""

from __future__ import annotations

from flask.json.provider import DefaultJSONProvider
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import session_json_serializer

from coatcheck.pallets import TaggedJSON

__all__ = ["FlaskTaggedJSON"]


class FlaskTaggedJSON(TaggedJSON):
    """A coatcheck serializer that speaks Flask's tagged JSON.

    ``tagger`` is the `flask.json.tag.TaggedJSONSerializer` whose tags apply; by default
    Flask's own ``flask.sessions.session_json_serializer``, so tags an application
    registered there for its sessions keep working. Values the tags do not cover go
    through Flask's default JSON provider (dates, decimals, dataclasses).
    """

    __slots__ = ()

    def __init__(self, tagger: TaggedJSONSerializer | None = None) -> None:
        super().__init__(
            session_json_serializer if tagger is None else tagger,
            DefaultJSONProvider.default,
        )
