"""`QuartTaggedJSON`: Quart's tagged JSON, one session value at a time.

`coatcheck.pallets.TaggedJSON` with Quart's tagger (``quart.sessions
.session_json_serializer``) and Quart's default JSON provider filled in. Quart takes both
from Flask, so a session written by ``coatcheck_wsgi.flask`` reads the same here.
"""

from __future__ import annotations

from quart.json.provider import DefaultJSONProvider
from quart.json.tag import TaggedJSONSerializer
from quart.sessions import session_json_serializer

from coatcheck.pallets import TaggedJSON

__all__ = ["QuartTaggedJSON"]


class QuartTaggedJSON(TaggedJSON):
    """A coatcheck serializer that speaks Quart's tagged JSON.

    ``tagger`` is the ``quart.json.tag.TaggedJSONSerializer`` whose tags apply; by default
    Quart's own ``quart.sessions.session_json_serializer``, so tags an application
    registered there for its sessions keep working. Values the tags do not cover go
    through Quart's default JSON provider (dates, decimals, dataclasses).
    """

    __slots__ = ()

    def __init__(self, tagger: TaggedJSONSerializer | None = None) -> None:
        super().__init__(
            session_json_serializer if tagger is None else tagger,
            DefaultJSONProvider.default,
        )
