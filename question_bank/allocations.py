"""Work that allocates a great many small objects, none of them in a cycle."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector waits until the block ends. Building a lint report (hundreds of thousands of
    small sets and tuples) or reading a sitting's responses (millions of tuples) would otherwise trigger it again
    and again, each time walking the whole heap for cycles that are not there."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
