"""Give the kernel back a model file's pages once the interpreters no longer read them.

LiteRT maps each ``.tflite`` file into memory; XNNPACK then packs the weights into buffers of its
own on the first runs, and the mapped copy is not read again. Its pages stay resident all the same
(9 MB for the two BlazePose models: 6.1 MB landmark, 2.8 MB detector, read from
/proc/self/smaps), counted in the station's memory and its unit's cap. ``madvise(MADV_DONTNEED)``
on those mappings drops them from this process; a page read again later is faulted back in from
the file (clean, read-only), so it can never change a result, only cost a read.

Hand-written (a dozen lines of ctypes): no library does this, and it is Linux only; elsewhere
nothing happens.

    >>> release_mapped(["/no/such/model.tflite"])  # nothing of it is mapped: nothing to release
    0
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterable

MADV_DONTNEED = 4  # <sys/mman.h> on Linux


def release_mapped(paths: Iterable[str | os.PathLike[str]]) -> int:
    """Drop this process's resident pages of every mapping of ``paths`` (their real paths);
    how many bytes of mappings were released."""
    if not sys.platform.startswith("linux"):
        return 0
    wanted = {os.path.realpath(p) for p in paths}
    ranges = []
    with contextlib.suppress(OSError), open("/proc/self/maps", encoding="utf-8") as maps:
        for line in maps:
            fields = line.split(maxsplit=5)
            if len(fields) == 6 and fields[5].strip() in wanted:
                start, end = (int(x, 16) for x in fields[0].split("-"))
                ranges.append((start, end - start))
    if not ranges:
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    released = 0
    for start, length in ranges:
        if libc.madvise(start, length, MADV_DONTNEED) == 0:
            released += length
    return released
