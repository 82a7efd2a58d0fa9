"""The distribution itself: version, public names, typing marker, store protocols."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import coatcheck
import coatcheck_redis
from coatcheck import AsyncSessionStore, SessionStore
from coatcheck.sansio import is_async_store, performs_io
from coatcheck_redis import AsyncRedisStore, RedisStore

PACKAGE = Path(__file__).resolve().parents[2] / "packages" / "redis-store"


def test_version_moves_in_lockstep_with_the_core() -> None:
    assert coatcheck_redis.__version__ == coatcheck.__version__
    pyproject = (PACKAGE / "pyproject.toml").read_text()
    [dependencies] = re.findall(r"^dependencies = \[(.*)\]$", pyproject, re.MULTILINE)
    assert f'"coatcheck=={coatcheck.__version__}"' in dependencies


def test_public_names_are_exported_documented_and_typed() -> None:
    for name in coatcheck_redis.__all__:
        value = getattr(coatcheck_redis, name)
        if inspect.isclass(value):
            assert value.__doc__, name
    assert (PACKAGE / "src" / "coatcheck_redis" / "py.typed").is_file()


def test_the_stores_implement_the_core_protocols() -> None:
    # No connection is made before the first command.
    sync_store = RedisStore.from_url("redis://127.0.0.1:1/0")
    async_store = AsyncRedisStore.from_url("redis://127.0.0.1:1/0")
    assert isinstance(sync_store, SessionStore)
    assert isinstance(async_store, AsyncSessionStore)
    assert not is_async_store(sync_store)
    assert is_async_store(async_store)
    assert performs_io(sync_store)
    assert performs_io(async_store)
    assert "key_prefix='session:'" in repr(sync_store)
    sync_store.close()
