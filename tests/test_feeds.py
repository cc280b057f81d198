"""Reading new-media feeds: RSS 2.0, Atom and JSON Feed as RSSHub and WeChat-to-RSS services
write them, and the m.weibo.cn mobile JSON. Every document here is written by hand; the
accounts, people and posts are fictional (青山县 does not exist)."""

from __future__ import annotations

import json
import re
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from monitor import feeds
from monitor.feeds import MAX_FEED_BYTES, MAX_POSTS, Feed, FeedError, Post, html_text, parse_feed, parse_time

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc
#: the accounts spider resolves relative times against the end of the scan date
NOW = datetime(2026, 11, 20, 23, 59, tzinfo=SH)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def at(*args: int) -> datetime:
    """A Beijing time."""
    return datetime(*args, tzinfo=SH)


def parse(doc: str | bytes | dict, **kw) -> Feed:
    if isinstance(doc, dict):
        doc = json.dumps(doc, ensure_ascii=False)
    if isinstance(doc, str):
        doc = doc.encode("utf-8")
    return parse_feed(doc, "Asia/Shanghai", NOW, **kw)


def rss(*items: str, title: str = "青山发布的微博") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
<channel>
<title><![CDATA[{title}]]></title>
<link>https://weibo.com/5550001234/</link>
<atom:link href="https://rsshub.example.org/weibo/user/5550001234" rel="self" type="application/rss+xml" />
<description><![CDATA[青山县人民政府新闻办公室官方微博 - Powered by RSSHub]]></description>
<generator>RSSHub</generator>
<webMaster>contact@rsshub.example.org (RSSHub)</webMaster>
<language>zh-cn</language>
<lastBuildDate>Fri, 20 Nov 2026 04:00:00 GMT</lastBuildDate>
<ttl>5</ttl>
{"".join(items)}
</channel>
</rss>
"""


def rss_item(title: str, pub: str | None, guid: str, body: str = "<p>正文</p>", link: str | None = None,
             extra: str = "") -> str:
    return f"""<item>
<title><![CDATA[{title}]]></title>
<description><![CDATA[{body}]]></description>
{f"<pubDate>{pub}</pubDate>" if pub else ""}
<guid isPermaLink="false">{guid}</guid>
{f"<link>{link}</link>" if link else ""}
{extra}
</item>
"""


# ------------------------------------------------------------------------------ RSS 2.0

RSSHUB_WEIBO = rss(
    rss_item("【置顶】青山县政务服务事项办理指南", "Mon, 02 Mar 2026 09:00:00 +0800", "https://weibo.com/5550001234/PaAa1",
             body="<p>【置顶】青山县政务服务事项办理指南</p><p>详见县政府门户网站。</p>",
             link="https://weibo.com/5550001234/PaAa1"),
    rss_item("【青山县召开冬季森林防火工作会议】11月17日上午", "Tue, 17 Nov 2026 10:23:45 +0800",
             "https://weibo.com/5550001234/PaBb2",
             body='【青山县召开冬季森林防火工作会议】11月17日上午，县政府召开会议。<br />会议强调，'
                  '要压实责任。<br /><br /><a href="https://weibo.com/n/青山应急">@青山应急</a> '
                  '<img src="https://wx1.sinaimg.cn/large/abc.jpg" referrerpolicy="no-referrer"><br />',
             link="https://weibo.com/5550001234/PaBb2"),
    rss_item("青山县2026年第四季度重点项目集中开工", "Wed, 18 Nov 2026 01:30:00 GMT",
             "https://weibo.com/5550001234/PaCc3", link="https://weibo.com/5550001234/PaCc3"),
    rss_item("今日小雪 | 青山初雪", "Thu, 19 Nov 2026 08:05:00", "https://weibo.com/5550001234/PaDd4",
             link="https://weibo.com/5550001234/PaDd4"),
)

#: a WeChat-to-RSS service: the guid is an opaque id, not a link; bodies are whole article HTML
WECHAT_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>青山县市场监管</title>
    <link>https://mp.weixin.qq.com/</link>
    <description>青山县市场监督管理局微信公众号</description>
    <item>
      <title><![CDATA[关于开展2026年冬季食品安全专项检查的通知]]></title>
      <link>https://mp.weixin.qq.com/s/Qs3mK8vFakeArticle01</link>
      <guid isPermaLink="false">MzA5NTQ0NjcxNg==_2247486001_1</guid>
      <pubDate>Mon, 16 Nov 2026 18:02:11 +0800</pubDate>
      <category>置顶</category>
      <description><![CDATA[<section><p style="text-align:center;"><strong>关于开展2026年冬季食品安全专项检查的通知</strong></p><p>各乡镇市场监管所：</p><p>为保障群众“舌尖上的安全”，现就有关事项通知如下。</p><p><img data-src="https://mmbiz.qpic.cn/fake/0?wx_fmt=jpeg" /></p><style>.rich_media{color:red}</style><script>var ct = "1763287331";</script></section>]]></description>
    </item>
    <item>
      <title><![CDATA[“双十一”消费提示：理性消费 依法维权]]></title>
      <link>https://mp.weixin.qq.com/s/Qs3mK8vFakeArticle02</link>
      <guid isPermaLink="false">MzA5NTQ0NjcxNg==_2247486002_1</guid>
      <pubDate>Tue, 10 Nov 2026 20:15:00 +0800</pubDate>
      <description><![CDATA[<p>消费者朋友们：</p><p>购物节将至，请注意以下几点&nbsp;&amp;&nbsp;维权渠道。</p><ol><li>理性消费</li><li>保留凭证</li></ol>]]></description>
    </item>
    <item>
      <title>只有编号的推送</title>
      <guid isPermaLink="false">MzA5NTQ0NjcxNg==_2247486003_1</guid>
      <pubDate>Mon, 09 Nov 2026 09:00:00 +0800</pubDate>
      <description>纯文本正文，没有标签。</description>
    </item>
  </channel>
</rss>
"""


def test_rsshub_rss_posts_times_links_and_text():
    feed = parse(RSSHUB_WEIBO)
    assert feed.format == "rss"
    assert feed.title == "青山发布的微博"
    assert [p.id for p in feed.posts] == [  # newest first; the pinned post is old
        "https://weibo.com/5550001234/PaDd4", "https://weibo.com/5550001234/PaCc3",
        "https://weibo.com/5550001234/PaBb2", "https://weibo.com/5550001234/PaAa1"]
    snow, projects, meeting, guide = feed.posts
    assert meeting.published == at(2026, 11, 17, 10, 23, 45)  # +0800
    assert projects.published == datetime(2026, 11, 18, 1, 30, tzinfo=UTC)  # GMT
    assert projects.published == at(2026, 11, 18, 9, 30)
    assert snow.published == at(2026, 11, 19, 8, 5)  # no zone: Beijing time
    assert all(p.published.tzinfo is not None for p in feed.posts)
    assert meeting.link == "https://weibo.com/5550001234/PaBb2"
    assert meeting.title == "【青山县召开冬季森林防火工作会议】11月17日上午"  # a 【topic】 is not 【置顶】
    assert not meeting.pinned
    assert meeting.text == ("【青山县召开冬季森林防火工作会议】11月17日上午，县政府召开会议。\n"
                            "会议强调，要压实责任。\n@青山应急")


def test_rss_pinned_title_is_marked_and_the_marker_dropped_from_the_title():
    feed = parse(RSSHUB_WEIBO)
    guide = feed.posts[-1]
    assert guide.pinned
    assert guide.title == "青山县政务服务事项办理指南"
    assert guide.text.startswith("【置顶】")  # the body is kept as written
    assert [p.pinned for p in feed.posts[:3]] == [False, False, False]


def test_wechat_rss_guid_that_is_not_a_permalink():
    feed = parse(WECHAT_RSS)
    assert feed.format == "rss" and feed.title == "青山县市场监管"
    notice, shopping, bare = feed.posts
    assert notice.id == "MzA5NTQ0NjcxNg==_2247486001_1"
    assert notice.link == "https://mp.weixin.qq.com/s/Qs3mK8vFakeArticle01"
    assert bare.id == "MzA5NTQ0NjcxNg==_2247486003_1"
    assert bare.link is None  # an opaque guid is never taken for a link
    assert bare.text == "纯文本正文，没有标签。"
    assert notice.published == at(2026, 11, 16, 18, 2, 11)


def test_wechat_rss_category_zhiding_marks_a_pinned_post():
    notice, shopping, bare = parse(WECHAT_RSS).posts
    assert notice.pinned and not shopping.pinned and not bare.pinned
    assert notice.title == "关于开展2026年冬季食品安全专项检查的通知"


def test_article_html_becomes_lines_of_text_without_styles_scripts_or_entities():
    notice, shopping, _ = parse(WECHAT_RSS).posts
    assert notice.text == ("关于开展2026年冬季食品安全专项检查的通知\n各乡镇市场监管所：\n"
                           "为保障群众“舌尖上的安全”，现就有关事项通知如下。")
    assert shopping.text == "消费者朋友们：\n购物节将至，请注意以下几点 & 维权渠道。\n理性消费\n保留凭证"


def test_rss_entry_without_a_date_keeps_published_none_and_sorts_last():
    feed = parse(rss(
        rss_item("没有日期的一条", None, "no-date-1", link="https://weibo.com/5550001234/PaEe5"),
        rss_item("有日期的一条", "Tue, 17 Nov 2026 10:23:45 +0800", "dated-1"),
    ))
    assert [p.title for p in feed.posts] == ["有日期的一条", "没有日期的一条"]
    assert feed.posts[1].published is None
    assert feed.newest() == at(2026, 11, 17, 10, 23, 45)


def test_a_feed_with_no_items_has_no_posts():
    feed = parse(rss())
    assert feed.format == "rss" and feed.title == "青山发布的微博"
    assert feed.posts == [] and feed.newest() is None


def test_java_style_cst_means_china_standard_time():
    feed = parse(rss(rss_item("旧系统导出的时间", "Tue Nov 17 10:23:45 CST 2026", "cst-1"),
                     rss_item("RFC 822 写法的 CST", "Tue, 17 Nov 2026 10:23:45 CST", "cst-2")))
    assert [p.published for p in feed.posts] == [at(2026, 11, 17, 10, 23, 45)] * 2


# ------------------------------------------------------------------------------ Atom

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
  <title>青山县融媒体中心 - 抖音</title>
  <link href="https://www.douyin.com/user/MS4wLjABAAAAfakeQingshan" />
  <link href="https://rsshub.example.org/douyin/user/MS4wLjABAAAAfakeQingshan?format=atom" rel="self" />
  <id>https://rsshub.example.org/douyin/user/MS4wLjABAAAAfakeQingshan</id>
  <updated>2026-11-20T04:00:00.000Z</updated>
  <generator>RSSHub</generator>
  <entry>
    <title>置顶｜青山县文旅宣传片</title>
    <id>https://www.douyin.com/video/7300000000000000001</id>
    <link href="https://www.douyin.com/video/7300000000000000001" />
    <published>2026-05-01T02:00:00Z</published>
    <updated>2026-05-01T02:00:00Z</updated>
    <content type="html"><![CDATA[<video controls poster="https://p3.douyinpic.com/fake.jpeg"></video><p>山水青山，欢迎您来。</p>]]></content>
  </entry>
  <entry>
    <title>深夜发布：暴雪橙色预警</title>
    <id>https://www.douyin.com/video/7300000000000000002</id>
    <link href="https://www.douyin.com/video/7300000000000000002" />
    <published>2026-11-19T20:00:00Z</published>
    <content type="html">&lt;p&gt;预计未来24小时&lt;br/&gt;我县将出现暴雪。&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>只有 updated 的条目</title>
    <id>tag:rsshub.example.org,2026:douyin-3</id>
    <link href="https://www.douyin.com/video/7300000000000000003" />
    <updated>2026-11-18T09:15:00+08:00</updated>
    <summary>摘要文字</summary>
  </entry>
  <entry>
    <title>分类标记的置顶</title>
    <id>https://www.douyin.com/video/7300000000000000004</id>
    <link href="https://www.douyin.com/video/7300000000000000004" />
    <published>2026-06-01T09:00:00+08:00</published>
    <category term="置顶" />
    <content type="html">&lt;p&gt;置顶视频&lt;/p&gt;</content>
  </entry>
</feed>
"""


def test_atom_published_and_updated_in_z_and_plus_eight():
    feed = parse(ATOM)
    assert feed.format == "atom"
    assert feed.title == "青山县融媒体中心 - 抖音"
    blizzard, updated_only, category_pin, title_pin = feed.posts
    assert blizzard.published == datetime(2026, 11, 19, 20, 0, tzinfo=UTC)
    assert updated_only.published == at(2026, 11, 18, 9, 15)  # no <published>: <updated> is used
    assert updated_only.text == "摘要文字"
    assert blizzard.link == "https://www.douyin.com/video/7300000000000000002"
    assert blizzard.text == "预计未来24小时\n我县将出现暴雪。"  # escaped type="html" content


def test_a_utc_post_late_in_the_evening_is_the_next_day_in_beijing():
    blizzard = parse(ATOM).posts[0]
    assert blizzard.published.date() == date(2026, 11, 19)  # in UTC
    assert blizzard.published.astimezone(SH).date() == date(2026, 11, 20)
    assert blizzard.published == at(2026, 11, 20, 4, 0)


def test_atom_pinned_by_title_or_category():
    blizzard, updated_only, category_pin, title_pin = parse(ATOM).posts
    assert title_pin.pinned and title_pin.title == "青山县文旅宣传片"
    assert category_pin.pinned and category_pin.title == "分类标记的置顶"
    assert not blizzard.pinned and not updated_only.pinned
    assert title_pin.text == "山水青山，欢迎您来。"


# ------------------------------------------------------------------------------ JSON Feed 1.1

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "青山县应急管理局",
    "home_page_url": "https://mp.weixin.qq.com/",
    "feed_url": "https://rsshub.example.org/wechat/mp/qsyj?format=json",
    "description": "青山县应急管理局 - Powered by RSSHub",
    "language": "zh-cn",
    "items": [
        {"id": "https://mp.weixin.qq.com/s/JsonFeedFake01", "url": "https://mp.weixin.qq.com/s/JsonFeedFake01",
         "title": "冬季安全生产提示", "content_html": "<p>一、防火</p><p>二、防冻<br>三、防滑</p>",
         "date_published": "2026-11-18T02:00:00.000Z", "authors": [{"name": "青山应急"}],
         "tags": ["安全生产", "提示"]},
        {"id": "qsyj-pinned", "url": "https://mp.weixin.qq.com/s/JsonFeedFake02", "title": "应急避难场所一览",
         "content_html": "<p>全县避难场所</p>", "date_published": "2026-01-05T09:00:00+08:00", "tags": ["置顶"]},
        {"id": "qsyj-text", "title": "纯文本推送", "content_text": "今日无事。",
         "date_published": "2026-11-19T21:30:00+08:00"},
        {"id": "qsyj-modified", "title": "只有修改时间", "content_html": "<p>x</p>",
         "date_modified": "2026-11-16T08:00:00+08:00"},
        {"id": "qsyj-undated", "title": "没有时间", "content_html": "<p>y</p>"},
        "not an item",
    ],
}


def test_json_feed_items_dates_html_and_tags():
    feed = parse(JSON_FEED)
    assert feed.format == "json" and feed.title == "青山县应急管理局"
    assert [p.id for p in feed.posts] == ["qsyj-text", "https://mp.weixin.qq.com/s/JsonFeedFake01",
                                          "qsyj-modified", "qsyj-pinned", "qsyj-undated"]
    text, safety, modified, pinned, undated = feed.posts
    assert safety.published == at(2026, 11, 18, 10, 0)
    assert safety.text == "一、防火\n二、防冻\n三、防滑"
    assert safety.link == "https://mp.weixin.qq.com/s/JsonFeedFake01" and not safety.pinned
    assert text.text == "今日无事。" and text.link is None
    assert modified.published == at(2026, 11, 16, 8, 0)
    assert undated.published is None
    assert pinned.pinned  # tagged 置顶
    assert feed.newest() == at(2026, 11, 19, 21, 30)


def test_json_feed_with_no_items_has_no_posts():
    assert parse({**JSON_FEED, "items": []}).posts == []


# ------------------------------------------------------------------------------ Weibo mobile JSON

def mblog(mid: str, created_at: str, text: str, **flags) -> dict:
    return {"card_type": 9, "itemid": f"1076035550001234_-_{mid}",
            "scheme": f"https://m.weibo.cn/status/{mid}?mblogid={mid}&luicode=10000011&lfid=1076035550001234",
            "mblog": {"visible": {"type": 0, "list_id": 0}, "created_at": created_at, "id": mid, "mid": mid,
                      "can_edit": False, "show_additional_indication": 0, "text": text, "textLength": len(text),
                      "source": "微博网页版", "favorited": False, "pic_ids": [], "is_paid": False,
                      "user": {"id": 5550001234, "screen_name": "青山发布", "verified": True, "verified_type": 1},
                      "reposts_count": 3, "comments_count": 1, "attitudes_count": 12, "bid": f"B{mid[-4:]}",
                      **flags}}


def weibo(*cards: dict, ok: int = 1) -> dict:
    return {"ok": ok, "data": {
        "cardlistInfo": {"containerid": "1076035550001234", "v_p": 42, "show_style": 1, "total": 2817,
                         "since_id": 5000000000000001},
        "cards": list(cards), "scheme": "sinaweibo://cardlist?containerid=1076035550001234"}}


WEIBO = weibo(
    mblog("5000000000000009", "Mon Mar 02 09:00:00 +0800 2026",
          "青山县政务服务热线12345<br />全天候为您服务", isTop=1, mblogtype=2,
          title={"text": "置顶", "base_color": 1}),
    mblog("5000000000000008", "Tue Nov 17 10:23:45 +0800 2026",
          '<a  href="https://m.weibo.cn/search?containerid=231522type%3D1%26q%3D%23青山初雪%23" data-hide="">'
          '<span class="surl-text">#青山初雪#</span></a> 今晨，青山迎来今冬第一场雪。<br /><br />'
          '请广大市民注意出行安全。<a href=\'/n/青山交警\'>@青山交警</a> '
          '<a data-url="http://t.cn/Fake123" href="https://video.weibo.com/show?fid=1034:fake" data-hide="">'
          '<span class="surl-text">青山发布的微博视频</span></a>'),
    {"card_type": 11, "card_group": [{"card_type": 58, "desc": "以下为更早的微博"}]},
    mblog("5000000000000007", "Sun Nov 15 08:00:00 +0800 2026", "只因为一条标题里写着“置顶”的普通消息？不是置顶。",
          mblogtype=0),
)


def test_weibo_mobile_json_cards_with_mblogs():
    feed = parse(WEIBO)
    assert feed.format == "weibo" and feed.title == "青山发布"
    assert [p.id for p in feed.posts] == ["5000000000000008", "5000000000000007", "5000000000000009"]
    snow = feed.posts[0]
    assert snow.published == at(2026, 11, 17, 10, 23, 45)
    assert snow.link == "https://m.weibo.cn/detail/5000000000000008"
    assert snow.text == "#青山初雪# 今晨，青山迎来今冬第一场雪。\n请广大市民注意出行安全。@青山交警 青山发布的微博视频"
    assert snow.title == "#青山初雪# 今晨，青山迎来今冬第一场雪。"  # the first line


def test_weibo_pinned_by_istop_mblogtype_or_title():
    snow, ordinary, top = parse(WEIBO).posts
    assert top.pinned and not snow.pinned
    assert not ordinary.pinned  # the word 置顶 in a post's text does not pin it
    only_type = parse(weibo(mblog("1", "Tue Nov 17 10:23:45 +0800 2026", "x", mblogtype=2))).posts[0]
    only_title = parse(weibo(mblog("2", "Tue Nov 17 10:23:45 +0800 2026", "y",
                                   title={"text": "置顶", "base_color": 1}))).posts[0]
    only_flag = parse(weibo(mblog("3", "Tue Nov 17 10:23:45 +0800 2026", "z", isTop=True))).posts[0]
    assert only_type.pinned and only_title.pinned and only_flag.pinned


@pytest.mark.parametrize("created_at, expected", [
    ("刚刚", at(2026, 11, 20, 23, 59)),
    ("5分钟前", at(2026, 11, 20, 23, 54)),
    ("3小时前", at(2026, 11, 20, 20, 59)),
    ("昨天 10:23", at(2026, 11, 19, 10, 23)),
    ("今天 08:00", at(2026, 11, 20, 8, 0)),
    ("11-17", at(2026, 11, 17)),
    ("11-17 10:23", at(2026, 11, 17, 10, 23)),
    ("12-31", at(2025, 12, 31)),  # never in the future: last year's New Year's Eve
    ("2025-11-17", at(2025, 11, 17)),  # older years are written in full
])
def test_weibo_relative_times_count_back_from_now(created_at, expected):
    post = parse(weibo(mblog("5000000000000001", created_at, "测试"))).posts[0]
    assert post.published == expected


def test_relative_times_use_the_beijing_day_of_a_utc_now():
    now = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)  # already 00:30 on the 21st in Beijing
    assert parse_time("昨天 10:23", SH, now) == at(2026, 11, 20, 10, 23)
    assert parse_time("刚刚", SH, now) == now


def test_weibo_user_null_or_missing_does_not_break_the_feed():
    card = mblog("5000000000000002", "Tue Nov 17 10:23:45 +0800 2026", "无用户信息")
    card["mblog"]["user"] = None
    feed = parse(weibo(card))
    assert feed.title == "" and len(feed.posts) == 1


def test_weibo_with_no_cards_is_a_login_wall_not_a_silent_account():
    with pytest.raises(FeedError, match="未返回任何微博"):
        parse(weibo())


# ------------------------------------------------------------------------------ times

@pytest.mark.parametrize("value", [
    "Tue, 17 Nov 2026 10:23:45 +0800",
    "Tue, 17 Nov 2026 02:23:45 GMT",
    "Tue, 17 Nov 2026 02:23:45 +0000",
    "Tue, 17 Nov 2026 10:23:45",  # no zone: Beijing
    "Tue Nov 17 10:23:45 +0800 2026",  # Weibo
    "2026-11-17T02:23:45Z",
    "2026-11-17T02:23:45.000Z",
    "2026-11-17T10:23:45+08:00",
    "2026-11-17T10:23:45.000+0800",
    "2026-11-16T21:23:45-05:00",
    "2026-11-17 10:23:45",
    "2026年11月17日 10:23:45",
    "2026年11月17日 10时23分45",
    "2026/11/17 10:23:45",
    1794882225,  # epoch seconds
    "1794882225",
    1794882225000,  # epoch milliseconds
    "1794882225000",
    1794882225.0,
])
def test_the_same_instant_in_any_form_compares_equal(value):
    parsed = parse_time(value, SH, NOW)
    assert parsed is not None and parsed.tzinfo is not None
    assert parsed == at(2026, 11, 17, 10, 23, 45)
    assert parsed == datetime(2026, 11, 17, 2, 23, 45, tzinfo=UTC)


@pytest.mark.parametrize("value, expected", [
    ("2026-11-17 10:23", at(2026, 11, 17, 10, 23)),
    ("2026年11月17日 10:23", at(2026, 11, 17, 10, 23)),
    ("2026年11月17日", at(2026, 11, 17)),
    ("2026-11-17", at(2026, 11, 17)),
    ("2026.11.17", at(2026, 11, 17)),
    ("20261117", at(2026, 11, 17)),  # a compact date, not epoch seconds in 1970
    ("20261117102345", at(2026, 11, 17, 10, 23, 45)),
])
def test_chinese_date_forms_are_beijing_time(value, expected):
    assert parse_time(value, SH, NOW) == expected


def test_a_naive_time_is_taken_in_the_given_zone():
    assert parse_time("2026-11-17 10:23", SH) == datetime(2026, 11, 17, 2, 23, tzinfo=UTC)
    assert parse_time("2026-11-17 10:23", ZoneInfo("UTC")) == datetime(2026, 11, 17, 10, 23, tzinfo=UTC)
    # RFC 2822's -0000 says "zone unknown": local time again
    assert parse_time("Tue, 17 Nov 2026 10:23:45 -0000", SH) == at(2026, 11, 17, 10, 23, 45)


def test_the_feed_zone_may_be_given_by_name_or_as_a_zoneinfo():
    doc = rss(rss_item("无时区", "Thu, 19 Nov 2026 08:05:00", "tz-1")).encode()
    by_name = parse_feed(doc, "Asia/Shanghai", NOW).posts[0].published
    by_zone = parse_feed(doc, SH, NOW).posts[0].published
    elsewhere = parse_feed(doc, "Asia/Urumqi", NOW).posts[0].published
    assert by_name == by_zone == at(2026, 11, 19, 8, 5)
    assert elsewhere == at(2026, 11, 19, 10, 5)  # 08:05 at UTC+6


@pytest.mark.parametrize("value", [None, "", "   ", "garbage", "明天", "13-45", "2026-13-45", "2026年2月30日",
                                   True, False, float("nan"), float("inf"), 1e30, [1], {"a": 1}])
def test_unreadable_times_are_none_not_errors(value):
    assert parse_time(value, SH, NOW) is None


# ------------------------------------------------------------------------------ pinned posts

def test_newest_ignores_pinned_posts_unless_asked():
    feed = Feed("rss", posts=[
        Post("pin", "置顶", published=at(2026, 11, 20, 9), pinned=True),
        Post("a", "普通", published=at(2026, 11, 1, 9)),
        Post("b", "无日期"),
    ])
    assert feed.newest() == at(2026, 11, 1, 9)
    assert feed.newest(include_pinned=True) == at(2026, 11, 20, 9)
    assert Feed("rss", posts=[Post("pin", published=at(2026, 11, 20), pinned=True)]).newest() is None


def test_a_recent_pinned_post_does_not_make_the_feed_look_fresh():
    feed = parse(rss(
        rss_item("【置顶】最新置顶", "Fri, 20 Nov 2026 09:00:00 +0800", "p1"),
        rss_item("[置顶] 方括号置顶", "Thu, 19 Nov 2026 09:00:00 +0800", "p2"),
        rss_item("（顶）圆括号顶", "Wed, 18 Nov 2026 09:00:00 +0800", "p3"),
        rss_item("普通置顶分类", "Tue, 17 Nov 2026 09:00:00 +0800", "p4", extra="<category>置顶</category>"),
        rss_item("上一条普通消息", "Sun, 01 Nov 2026 09:00:00 +0800", "p5"),
    ))
    assert [p.pinned for p in feed.posts] == [True, True, True, True, False]
    assert [p.title for p in feed.posts[:3]] == ["最新置顶", "方括号置顶", "圆括号顶"]
    assert feed.newest() == at(2026, 11, 1, 9)


@pytest.mark.parametrize("title", ["顶层设计引领乡村振兴", "顶岗实习学生返校", "【顶层设计】专家解读", "关于置顶问题的说明"])
def test_titles_that_only_look_like_pins_are_ordinary_posts(title):
    post = parse(rss(rss_item(title, "Tue, 17 Nov 2026 09:00:00 +0800", "t1"))).posts[0]
    assert not post.pinned and post.title == title


# ------------------------------------------------------------------------------ text

@pytest.mark.parametrize("fragment, text", [
    (None, ""),
    ("", ""),
    ("  纯文本  ", "纯文本"),
    ("第一行<br />第二行<br>第三行", "第一行\n第二行\n第三行"),
    ("<p>第一段</p><p>第二段</p>", "第一段\n第二段"),
    ("导语<p>正文</p>结语", "导语\n正文\n结语"),
    ("<h2>标题</h2>正文", "标题\n正文"),
    ("<div><span>一</span>  <span>二</span></div>", "一 二"),
    ("A&amp;B &lt;通知&gt;", "A&B <通知>"),
    ("<p>有图<img src='x.jpg'>无字</p>", "有图无字"),
    ("<p>正文</p><script>alert(1)</script><style>p{}</style>", "正文"),
    ("<p>\u00a0\u00a0首行缩进</p>", "首行缩进"),
])
def test_html_text(fragment, text):
    assert html_text(fragment) == text


# ------------------------------------------------------------------------------ order and size

def test_posts_are_sorted_newest_first_and_capped_at_max_posts():
    start = at(2026, 1, 1, 8)
    order = [(i * 7919) % (MAX_POSTS + 20) for i in range(MAX_POSTS + 20)]  # a fixed shuffle
    items = [{"id": f"p{n}", "title": f"第{n}条", "content_text": "x",
              "date_published": (start + timedelta(hours=n)).isoformat()} for n in order]
    feed = parse({**JSON_FEED, "items": items})
    assert len(feed.posts) == MAX_POSTS
    times = [p.published for p in feed.posts]
    assert times == sorted(times, reverse=True)
    assert feed.posts[0].id == f"p{MAX_POSTS + 19}"  # the newest kept, the 20 oldest dropped
    assert feed.posts[-1].id == "p20"


def test_max_posts_applies_to_xml_feeds_too(monkeypatch):
    monkeypatch.setattr(feeds, "MAX_POSTS", 2)
    feed = parse(RSSHUB_WEIBO)
    assert [p.id for p in feed.posts] == ["https://weibo.com/5550001234/PaDd4", "https://weibo.com/5550001234/PaCc3"]


def test_a_huge_feed_is_refused_before_it_is_read():
    data = b"<" + b" " * MAX_FEED_BYTES  # one byte over
    started = time.perf_counter()
    with pytest.raises(FeedError, match="过大") as exc:
        parse_feed(data)
    assert time.perf_counter() - started < 1
    assert CHINESE.search(str(exc.value))


def test_a_feed_exactly_at_the_limit_is_read(monkeypatch):
    doc = RSSHUB_WEIBO.encode()
    monkeypatch.setattr(feeds, "MAX_FEED_BYTES", len(doc))
    assert len(parse_feed(doc, SH, NOW).posts) == 4
    with pytest.raises(FeedError, match="过大"):
        parse_feed(doc + b" ", SH, NOW)


# ------------------------------------------------------------------------------ unreadable feeds

HTML_PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>502 Bad Gateway</title></head>
<body><h1>服务暂时不可用</h1><p>Looks like there's a problem with this route.</p></body></html>"""


@pytest.mark.parametrize("data, words", [
    (b"", "为空"),
    (b" \r\n\t ", "为空"),
    (b"\xef\xbb\xbf\n", "为空"),
    (HTML_PAGE.encode(), "返回的是网页（HTML）"),
    (b"<<<>>>", "无法解析"),
    (b"<?xml version='1.0'?><error><code>404</code></error>", "无法解析"),
    (b"Route not found", "无法解析"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "JSON"),
    (b"{'single': 'quotes'}", "JSON"),
    (b"[" * 100_000, "JSON"),
    (b'{"error": "rate limited"}', "无法识别"),
    (b"[1, 2, 3]", "无法识别"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": {"a": 1}}', "items"),
    (json.dumps({"ok": 0, "msg": "这里还没有内容", "data": {"cards": []}}, ensure_ascii=False).encode(), "这里还没有内容"),
    (json.dumps({"ok": 0, "msg": "请求过于频繁"}, ensure_ascii=False).encode(), "微博接口返回错误：请求过于频繁"),
    (json.dumps({"ok": -100, "url": "https://passport.weibo.cn/signin/welcome"}).encode(), "微博接口返回错误"),
])
def test_unreadable_feeds_raise_feed_error_with_a_chinese_reason(data, words):
    with pytest.raises(FeedError) as exc:
        parse_feed(data, SH, NOW)
    assert words in str(exc.value)
    assert CHINESE.search(str(exc.value))


def test_feed_error_is_a_value_error():
    assert issubclass(FeedError, ValueError)


def test_a_body_that_names_a_local_file_is_not_read_from_disk(tmp_path):
    local = tmp_path / "secret.xml"
    local.write_text(rss(rss_item("本机文件", "Tue, 17 Nov 2026 10:23:45 +0800", "local-1")), encoding="utf-8")
    with pytest.raises(FeedError):
        parse_feed(str(local).encode(), SH, NOW)


def test_a_truncated_download_keeps_the_posts_before_the_cut():
    doc = RSSHUB_WEIBO.encode()
    cut = doc[:doc.index(b"PaCc3") + 40]
    feed = parse_feed(cut, SH, NOW)
    assert {p.id for p in feed.posts} >= {"https://weibo.com/5550001234/PaAa1", "https://weibo.com/5550001234/PaBb2"}


@pytest.mark.parametrize("data", [
    b"\x00\x01\x02\xff\xfe",
    "<rss version='2.0'><channel><item><title>\x00坏字符</title></item></channel></rss>".encode(),
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"title": {"x": 1}, "date_published": [1],'
    b' "tags": [null, 3], "content_html": 5}]}',
    b'{"ok": 1, "data": {"cards": [null, 1, {"mblog": {"text": null, "created_at": 5, "title": "x"}}]}}',
    "<?xml version='1.0' encoding='gb2312'?><rss version='2.0'><channel><title>青山</title></channel></rss>".encode("gb2312"),
])
def test_odd_input_is_a_feed_or_a_feed_error_never_another_exception(data):
    try:
        feed = parse_feed(data, SH, NOW)
    except FeedError as exc:
        assert CHINESE.search(str(exc))
    else:
        assert isinstance(feed, Feed)
