"""What a process's informers hold, for ``/metrics``: objects and JSON bytes per resource, and
how often they listed again.

``informer_store_objects`` and ``informer_store_bytes`` (the objects' JSON as received; each
object's typed view adds a few hundred bytes more, see ARCHITECTURE.md "Memory") are gauges
labelled by the resource (``pods``, ``replicasets.apps``) and, as informers of one resource
may differ by selection, summed over them. Reading them is O(informers): each store keeps its
totals as objects come and go. ``informer_relists_total`` and ``informer_watch_gone_total`` count
the reflectors' lists beyond each one's first, and the watches answered 410 Gone (each of which
made one), by resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from myriad.client.informers.informer import SharedInformer


class StoreCollector:
    """A prometheus collector over the informers ``informers()`` returns when scraped."""

    def __init__(self, informers: Callable[[], Iterable[SharedInformer]]) -> None:
        self._informers = informers

    def collect(self) -> Iterator[Metric]:
        objects: dict[str, int] = {}
        held: dict[str, int] = {}
        lists: dict[str, int] = {}
        gone: dict[str, int] = {}
        for informer in self._informers():
            resource = informer.resource
            group = resource.api_version.rpartition("/")[0]
            name = f"{resource.plural}.{group}" if group else resource.plural
            objects[name] = objects.get(name, 0) + len(informer.indexer)
            held[name] = held.get(name, 0) + informer.indexer.raw_bytes
            lists[name] = lists.get(name, 0) + max(informer.reflector.stats.lists - 1, 0)
            gone[name] = gone.get(name, 0) + informer.reflector.stats.gone
        count = GaugeMetricFamily("informer_store_objects", "Objects held in informer caches, by resource.",
                                  labels=["resource"])
        size = GaugeMetricFamily("informer_store_bytes", "Bytes of JSON held in informer caches (compressed, "
                                 "where a cache compresses), by resource.", labels=["resource"])
        listed = CounterMetricFamily("informer_relists", "Lists informers made beyond their first, by resource.",
                                     labels=["resource"])
        expired = CounterMetricFamily("informer_watch_gone", "Informer watches answered 410 Gone (each then "
                                      "re-listed), by resource.", labels=["resource"])
        for name in sorted(objects):
            count.add_metric([name], objects[name])
            size.add_metric([name], held[name])
            listed.add_metric([name], lists[name])
            expired.add_metric([name], gone[name])
        yield count
        yield size
        yield listed
        yield expired

    def describe(self) -> list[Metric]:
        return []
