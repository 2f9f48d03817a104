"""Which batch a free worker should take next, so workers rarely switch scenes."""

from __future__ import annotations

from collections import Counter, deque

from simulator.sample import Sample

Pair = tuple[str, str]  # (object, environment): the scene a worker holds


def pair_of(batch: list[Sample]) -> Pair:
    return batch[0].object, batch[0].environment


class PairQueue:
    """Batches waiting for a worker, grouped by (object, environment).

    `take` gives a worker more of the scene it holds; a worker whose scene is used up gets the
    earliest scene that the fewest other workers hold, so workers spread over scenes.
    """

    def __init__(self) -> None:
        self._queues: dict[Pair, deque[list[Sample]]] = {}  # in order of first appearance
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def put(self, batch: list[Sample]) -> None:
        if batch:
            self._queues.setdefault(pair_of(batch), deque()).append(batch)
            self._size += 1

    def take(self, held: Pair | None, holders: Counter[Pair]) -> list[Sample] | None:
        """The next batch for a worker holding `held`; `holders` counts workers per scene. None when empty."""
        if not self._queues:
            return None
        pair = held if held in self._queues else min(self._queues, key=lambda p: holders[p])
        queue = self._queues[pair]
        batch = queue.popleft()
        if not queue:
            del self._queues[pair]
        self._size -= 1
        return batch
