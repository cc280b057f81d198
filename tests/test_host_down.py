"""HostDownMiddleware on its own: when a host counts as down for link checks, and when not.
(End to end against a closed port: test_site_checks.py.)"""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import DownloadConnectionRefusedError, DownloadTimeoutError
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from monitor.middlewares import HostDown, HostDownMiddleware


@pytest.fixture()
def mw():
    return HostDownMiddleware.from_crawler(get_crawler(Spider, {"MONITOR_HOST_DOWN_AFTER": 2}))


def check(url: str) -> Request:
    return Request(url, meta={"linkcheck": url})


def refused(mw, url: str) -> None:
    mw.process_exception(check(url), DownloadConnectionRefusedError("Connection was refused by other side"))


def test_two_links_refused_to_the_end_make_the_host_down_for_its_other_links(mw):
    refused(mw, "http://old.example.gov.cn/a.html")
    mw.process_request(check("http://old.example.gov.cn/c.html"))  # one link is not the host
    refused(mw, "http://old.example.gov.cn/b.html")
    with pytest.raises(HostDown) as info:
        mw.process_request(check("http://old.example.gov.cn/c.html"))
    assert isinstance(info.value.cause, DownloadConnectionRefusedError)
    # the crawl's own pages are never skipped, only link checks
    assert mw.process_request(Request("http://old.example.gov.cn/c.html")) is None


def test_the_same_link_twice_is_one_link(mw):
    refused(mw, "http://old.example.gov.cn/a.html")
    refused(mw, "http://old.example.gov.cn/a.html")
    assert mw.process_request(check("http://old.example.gov.cn/b.html")) is None


def test_a_refused_port_says_nothing_of_the_other_scheme_or_port(mw):
    refused(mw, "https://www.example.gov.cn/a.html")
    refused(mw, "https://www.example.gov.cn/b.html")
    assert mw.process_request(check("http://www.example.gov.cn/c.html")) is None
    assert mw.process_request(check("https://www.example.gov.cn:8443/c.html")) is None
    with pytest.raises(HostDown):
        mw.process_request(check("https://www.example.gov.cn/c.html"))


def test_a_host_that_answered_is_never_down(mw):
    mw.process_response(check("http://busy.example.gov.cn/ok.html"), Response("http://busy.example.gov.cn/ok.html",
                                                                              status=404))
    refused(mw, "http://busy.example.gov.cn/a.html")
    refused(mw, "http://busy.example.gov.cn/b.html")
    assert mw.process_request(check("http://busy.example.gov.cn/c.html")) is None


def test_a_host_that_answers_after_being_given_up_on_is_tried_again(mw):
    refused(mw, "http://flaky.example.gov.cn/a.html")
    refused(mw, "http://flaky.example.gov.cn/b.html")
    with pytest.raises(HostDown):
        mw.process_request(check("http://flaky.example.gov.cn/c.html"))
    mw.process_response(check("http://flaky.example.gov.cn/d.html"), Response("http://flaky.example.gov.cn/d.html"))
    assert mw.process_request(check("http://flaky.example.gov.cn/c.html")) is None


def test_timeouts_never_make_a_host_down(mw):
    for name in "abcd":
        url = f"http://slow.example.gov.cn/{name}.html"
        mw.process_exception(check(url), DownloadTimeoutError("took longer than 15.0 seconds"))
    assert mw.process_request(check("http://slow.example.gov.cn/e.html")) is None


def test_zero_turns_it_off():
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        HostDownMiddleware.from_crawler(get_crawler(Spider, {"MONITOR_HOST_DOWN_AFTER": 0}))
