"""The queue between the connection task and a reader, shared by the quote and the bar buffers."""

import asyncio
import collections


class _Slot:
    """A queued item; the writer may replace it with a newer one of the same key until the reader takes it."""

    __slots__ = ("item",)

    def __init__(self, item):
        self.item = item


class ReplaceableQueue:
    """First in, first out; the newest waiting item of a key may be replaced in place (latest wins, the position
    in the queue is kept) until the reader takes it."""

    def __init__(self, key_of):
        self._key_of = key_of
        self._queue = collections.deque()
        self._newest = {}
        self._ready = asyncio.Event()
        self._error = None
        self._completed = False

    def __len__(self):
        return len(self._queue)

    def write(self, item, replaces):
        """Replaces the newest waiting item of ``item``'s key when there is one and ``replaces(waiting, count)`` says
        so (``count``: the items waiting), else appends ``item``; True when it replaced one."""
        key = self._key_of(item)
        waiting = self._newest.get(key)
        if waiting is not None and replaces(waiting.item, len(self._queue)):
            waiting.item = item
            return True
        slot = _Slot(item)
        self._newest[key] = slot
        self._queue.append(slot)
        self._ready.set()
        return False

    def complete(self, error=None):
        """No more items: the reader drains what is left, then ends (raising ``error`` if any)."""
        self._completed = True
        self._error = error
        self._ready.set()

    async def read(self):
        """The oldest waiting item; None once completed and drained (or the completion's error)."""
        while not self._queue:
            if self._completed:
                if self._error is not None:
                    raise self._error
                return None
            self._ready.clear()
            await self._ready.wait()
        slot = self._queue.popleft()
        item = slot.item
        key = self._key_of(item)
        if self._newest.get(key) is slot:
            del self._newest[key]
        return item
