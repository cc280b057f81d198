"""The crawl's garbage-collector settings (monitor/gc_tuning.py): applied for the crawl,
the heap at spider open frozen, and everything put back when the engine stops."""

from __future__ import annotations

import gc
import weakref

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from monitor import settings
from monitor.gc_tuning import GcTuning


def crawler(**values):
    return get_crawler(Spider, {"MONITOR_GC_THRESHOLDS": settings.MONITOR_GC_THRESHOLDS, **values})


def test_thresholds_apply_during_the_crawl_and_are_put_back():
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    extension = GcTuning.from_crawler(crawler())
    assert gc.get_threshold() == before  # a crawl that never opens changes nothing
    try:
        extension.spider_opened()
        assert gc.get_threshold() == tuple(settings.MONITOR_GC_THRESHOLDS)
        assert gc.get_freeze_count() > 0  # the lexicons and imports: never traversed again
    finally:
        extension.restore()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    extension.restore()  # spider_closed, then engine_stopped: the second is a no-op
    assert gc.get_threshold() == before


def test_overlapping_crawls_in_one_process_put_things_back_once_both_are_over():
    before = gc.get_threshold()
    first, second = GcTuning.from_crawler(crawler()), GcTuning.from_crawler(crawler())
    try:
        first.spider_opened()
        second.spider_opened()
        first.restore()
        assert gc.get_threshold() == tuple(settings.MONITOR_GC_THRESHOLDS) and gc.get_freeze_count() > 0
    finally:
        first.restore()
        second.restore()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_reference_cycles_are_still_collected_during_the_crawl():
    class Node:
        pass

    extension = GcTuning.from_crawler(crawler())
    try:
        extension.spider_opened()
        refs = []
        for _ in range(3):
            a, b = Node(), Node()
            a.other, b.other = b, a  # garbage only the collector can free
            refs.append(weakref.ref(a))
            del a, b
        # enough new containers, kept alive, for the collector's next pass
        kept = [[] for _ in range(settings.MONITOR_GC_THRESHOLDS[0] * 2)]
        assert kept and all(ref() is None for ref in refs)
    finally:
        extension.restore()


@pytest.mark.parametrize("value", [[], "", None])
def test_an_empty_setting_leaves_the_collector_alone(value):
    before = gc.get_threshold()
    with pytest.raises(NotConfigured):
        GcTuning.from_crawler(crawler(MONITOR_GC_THRESHOLDS=value))
    assert gc.get_threshold() == before


@pytest.mark.parametrize("value", [["a", "10"], [0, 10, 10], [1, 2, 3, 4]])
def test_a_bad_setting_is_refused_with_its_name(value):
    before = gc.get_threshold()
    with pytest.raises(NotConfigured, match="MONITOR_GC_THRESHOLDS"):
        GcTuning.from_crawler(crawler(MONITOR_GC_THRESHOLDS=value))
    assert gc.get_threshold() == before
