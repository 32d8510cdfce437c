"""The cyclic garbage collector and the large, long-lived objects of a loaded archive.

Loading an archive's views makes a million objects at once; the collector, triggered by their
number, walks all of them again and again while they are made (three times the load's own time
at 100,000 passages), and later walks them again at some question (a pause of hundreds of ms).
Nothing among them is garbage: they live as long as the loaded index, and refcounting frees them
when it is reloaded.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Make many long-lived objects without the collector walking them as they are made."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_out_of_collector() -> None:
    """Move everything alive now out of the collector's reach for good (what a loaded index holds),
    so that no later question waits for a walk over a large archive's objects."""
    gc.freeze()
