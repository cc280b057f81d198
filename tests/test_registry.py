"""Unregistered accounts: which links and names are accounts, and which are not."""

from __future__ import annotations

import pytest

from monitor.checks.registry import account_key, check_unregistered
from monitor.config import Account
from monitor.items import LinkItem

REGISTRY = [Account(id="wb", platform="weibo", name="示例县发布", department="office",
                    profile="https://weibo.com/u/52999900001"),
            Account(id="wx", platform="wechat", name="示例县发布微信", department="office",
                    feed="http://127.0.0.1:1200/weibo/user/52999900002")]


@pytest.mark.parametrize("url, key", [
    ("https://weibo.com/u/52999900001", "weibo:52999900001"),
    ("https://weibo.com/52999900001", "weibo:52999900001"),
    ("https://m.weibo.cn/u/52999900001", "weibo:52999900001"),
    ("https://m.weibo.cn/api/container/getIndex?containerid=10760352999900001", "weibo:52999900001"),
    ("http://127.0.0.1:1200/weibo/user/52999900001", "weibo:52999900001"),
    ("https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzU5OTk5OQ==", "wechat:MzU5OTk5OQ=="),
    ("https://www.douyin.com/user/MS4wLjABAAAAabc", "douyin:MS4wLjABAAAAabc"),
    ("https://www.toutiao.com/c/user/token/MS4wLjABAAAAxyz/", "toutiao:MS4wLjABAAAAxyz"),
])
def test_account_pages_are_recognised(url, key):
    assert account_key(url)[1] == key


@pytest.mark.parametrize("url", [
    "https://weibo.com/52999900001/NxYzAbCdE",  # one post, not the account
    "https://mp.weixin.qq.com/s?__biz=MzU5OTk5OQ==&mid=2247483650&idx=1&sn=abc",  # one article
    "https://notweibo.com/u/52999900001",
    "https://weibo.com/login.php",
    "https://www.gov.cn/zhengce/index.htm",
])
def test_posts_articles_and_look_alike_hosts_are_not_accounts(url):
    assert account_key(url) is None


def findings(links=(), named=(), registry=REGISTRY):
    return {f.text for f in check_unregistered([("http://p/", LinkItem(u, t)) for u, t in links],
                                               [("http://p/", n) for n in named], registry)}


def test_registered_accounts_by_profile_feed_or_name_are_fine():
    assert findings([("https://m.weibo.cn/u/52999900001", "微博"), ("https://weibo.com/u/52999900002", "x")],
                    ["官方微信：示例县发布微信", "官方微博： 示例县发布"]) == set()


def test_unregistered_links_and_names_are_found_once_each():
    found = findings([("https://weibo.com/u/52999900999", "某局微博"), ("https://weibo.com/u/52999900999", "又一次")],
                     ["官方抖音：示例县某某号\n官方微信：\n扫码关注"])
    assert found == {"未备案的政务新媒体：微博「某局微博」", "未备案的政务新媒体：抖音「示例县某某号」"}
