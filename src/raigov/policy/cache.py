"""The screen cache: the screen of one revision's content by one pack, kept in memory so that the
authorization gate and the governance pages do not screen the same content again. A cache of pure results
(``policy.screen.screen``), keyed by what decides them; it writes nothing."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from raigov.policy.packs import current_registry
from raigov.policy.screen import screen

SCREENS_MAX = 20000
_screens: OrderedDict[tuple[str, str, str], object] = OrderedDict()
_screens_lock = threading.Lock()


def screen_cached(content_hash: str, schema: str, pack_key: str, values):
    """The screen of one revision's content by one pack, cached by (content hash, schema, pack id@version):
    the content hash covers the schema, the answers and the extra columns, so the answers (``values``, or
    a callable returning them) are read only when the screen is not cached yet. Least recently used out
    past 20,000 entries; safe across threads."""
    key = (content_hash, schema, pack_key)
    with _screens_lock:
        res = _screens.get(key)
        if res is not None:
            _screens.move_to_end(key)
            return res

    answers = values() if callable(values) else values
    res = screen(json.loads(json.dumps(answers, sort_keys=True, default=str)), current_registry().get(pack_key),
                 schema=schema, with_trace=False)
    with _screens_lock:
        _screens[key] = res
        if len(_screens) > SCREENS_MAX:
            _screens.popitem(last=False)
    return res


def screen_of(rev, pack, values=None):
    """``rev``: a revision, or any row with ``schema`` and ``content_hash`` (then ``values`` loads the answers)."""
    return screen_cached(rev.content_hash, rev.schema, pack.key, values if values is not None else lambda: rev.values)
