"""Identity checks (RULES.md §4): footer items on the home page, gov meta tags, links to bare IPs.

Each item: present in the usual forms → silent; missing → exactly that finding.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import lxml.html
import pytest

from monitor.checks.identity import check_home_identity, check_ip_links, check_meta_tags
from monitor.items import LinkItem

HOME = "https://www.shili.gov.cn/"
DEMO_INDEX = Path(__file__).resolve().parents[1] / "monitor" / "demo" / "site" / "index.html"

FOOTER = (
    "首页\n要闻动态\n通知公告\n"
    "我为政府网站找错 | 网站首页 | 联系我们\n"
    "主办单位：示例县人民政府办公室 联系电话：0851-12345678\n"
    "地址：贵州省示例县城关镇人民路1号 邮编：550199\n"
    "网站标识码：5299990001 黔ICP备10201081号-1 黔公网安备 52999902006106号"
)
LINKS = [
    LinkItem(url="https://www.shili.gov.cn/zc/index.html", text="我为政府网站找错"),
    LinkItem(url="https://www.shili.gov.cn/lxwm/index.html", text="联系我们"),
    LinkItem(url="https://bszs.conac.cn/sitename?method=show&id=5299990001", text="党政机关网站标识",
             kind="external"),
]

RULES = {"identity-site-code", "identity-icp", "identity-police", "identity-sponsor",
         "identity-contact", "identity-conac", "identity-zhaocuo"}


def rules(text: str, links: list[LinkItem] = LINKS) -> list[str]:
    return sorted(f.rule for f in check_home_identity(HOME, text, links))


def page_text_and_links(path: Path, base: str) -> tuple[str, list[LinkItem]]:
    """Visible text of <body> and its a/img links, the way the extractor reports them."""
    root = lxml.html.fromstring(path.read_bytes())
    body = root.find("body")
    text = body.text_content()
    links = []
    for el in body.iter("a", "img"):
        raw = el.get("href" if el.tag == "a" else "src") or ""
        if not raw or raw.startswith("data:"):
            continue
        if el.tag == "a":
            img = next(el.iter("img"), None)
            label = el.text_content().strip() or el.get("title") or (img.get("alt") if img is not None else "")
            links.append(LinkItem(url=urljoin(base, raw), text=label or ""))
        else:
            links.append(LinkItem(url=urljoin(base, raw), text=el.get("alt") or el.get("title") or "", kind="image"))
    return text, links


# ---- home page footer ----------------------------------------------------------------------


def test_demo_home_page_has_no_identity_findings():
    text, links = page_text_and_links(DEMO_INDEX, HOME)
    assert "网站标识码" in text and any("conac" in link.url for link in links)
    assert check_home_identity(HOME, text, links) == []


def test_demo_home_page_through_the_real_link_extractor():
    from monitor.extract.links import extract_links

    root = lxml.html.fromstring(DEMO_INDEX.read_bytes())
    links, attachments = extract_links(root, HOME)
    assert check_home_identity(HOME, root.find("body").text_content(), links + attachments) == []


def test_complete_footer_is_silent():
    assert rules(FOOTER) == []


def test_empty_page_gives_one_finding_per_item_with_chinese_text():
    findings = check_home_identity(HOME, "", [])
    assert sorted(f.rule for f in findings) == sorted(RULES)
    for f in findings:
        assert f.category == "identity" and f.severity == "major"
        assert f.url == f.place == HOME and f.key == f.rule
        assert f.text.startswith("首页") and f.suggestion and "《政府网站发展指引》" in f.note
    assert len({f.fingerprint for f in findings}) == len(RULES)


def test_missing_site_code_text():
    [f] = check_home_identity(HOME, FOOTER.replace("网站标识码：5299990001", ""), LINKS)
    assert f.rule == "identity-site-code"
    assert f.text == "首页未标注网站标识码"
    assert "5201220001" in f.suggestion


# ---- 网站标识码


@pytest.mark.parametrize("shown", [
    "网站标识码：5201220001",
    "网站标识码:5201220001",
    "网站标识码 5201220001",
    "网站标识码5201220001",
    "网站标识码：bm01000001",  # department site
    "网站标识码：BM01000001",
    "网站标识码：５２０１２２０００１",  # full-width digits
    "网站标识码：\n5201220001",  # label and code in separate elements
    "标识码：5201220001",
    "网站标识码：5201220001ICP备案号：黔ICP备10201081号",  # spans glued together by text_content()
])
def test_site_code_present(shown):
    text = FOOTER.replace("网站标识码：5299990001", shown)
    assert "identity-site-code" not in rules(text)


@pytest.mark.parametrize("shown, found", [
    ("网站标识码：52012200011", "52012200011"),  # 11 digits
    ("网站标识码：520122000", "520122000"),  # 9 digits
    ("网站标识码：52O1220001", "52O1220001"),  # letter O inside the digits
    ("网站标识码：", ""),  # label with nothing after it
])
def test_site_code_malformed(shown, found):
    text = FOOTER.replace("网站标识码：5299990001", shown)
    hits = check_home_identity(HOME, text, LINKS)
    assert [f.rule for f in hits] == ["identity-site-code"]
    assert "格式不正确" in hits[0].text
    assert hits[0].extra == {"found": found}
    assert (found or "空白") in hits[0].text
    assert "10位" in hits[0].suggestion


def test_site_code_label_with_nothing_after_it_before_the_next_item():
    text = "主办单位：示例县人民政府 联系电话：0851-1234567\n网站标识码：\n黔ICP备10201081号 黔公网安备 52999902006106号"
    hits = check_home_identity(HOME, text, LINKS)
    assert [f.rule for f in hits] == ["identity-site-code"]
    assert "空白" in hits[0].text


# ---- ICP备案编号


@pytest.mark.parametrize("shown", [
    "黔ICP备10201081号",
    "京ICP备05070218号-1",
    "ICP备案号：黔ICP备10201081号",
    "黔ＩＣＰ备１０２０１０８１号－１",  # full-width
    "黔icp备10201081号",
    "黔ICP备 10201081号",
    "粤ICP备2020123456号-2",
])
def test_icp_present(shown):
    text = FOOTER.replace("黔ICP备10201081号-1", shown)
    assert "identity-icp" not in rules(text)


def test_icp_missing():
    [f] = check_home_identity(HOME, FOOTER.replace("黔ICP备10201081号-1", ""), LINKS)
    assert f.rule == "identity-icp" and f.text == "首页未标注ICP备案编号"


def test_icp_label_without_number_is_flagged():
    [f] = check_home_identity(HOME, FOOTER.replace("黔ICP备10201081号-1", "ICP备案号："), LINKS)
    assert f.rule == "identity-icp" and "不完整" in f.text


# ---- 公安机关备案号


@pytest.mark.parametrize("shown", [
    "黔公网安备 52012202006106号",
    "黔公网安备52012202006106号",
    "公安备案号 52012202006106",
    "公安机关备案号：52012202006106",
    "京公网安备　１１０１０１０２０００００１号",  # full-width space and digits
])
def test_police_present(shown):
    text = FOOTER.replace("黔公网安备 52999902006106号", shown)
    assert "identity-police" not in rules(text)


@pytest.mark.parametrize("shown, partial", [
    ("", False),
    ("黔公网安备 5201220200610号", True),  # 13 digits
    ("公安机关备案号：", True),
])
def test_police_missing_or_incomplete(shown, partial):
    [f] = check_home_identity(HOME, FOOTER.replace("黔公网安备 52999902006106号", shown), LINKS)
    assert f.rule == "identity-police"
    assert ("不完整" in f.text) == partial


# ---- 主办单位


@pytest.mark.parametrize("shown", ["主办单位：示例县人民政府办公室", "主办：示例县人民政府办公室",
                                   "主办机关：示例县人民政府", "网站主办：示例县人民政府", "主 办 单 位：示例县人民政府"])
def test_sponsor_present(shown):
    text = FOOTER.replace("主办单位：示例县人民政府办公室", shown)
    assert "identity-sponsor" not in rules(text)


def test_sponsor_missing_while_organiser_present():
    text = FOOTER.replace("主办单位：示例县人民政府办公室", "承办单位：示例县大数据中心")
    [f] = check_home_identity(HOME, text, LINKS)
    assert f.rule == "identity-sponsor" and f.text == "首页未标注主办单位"
    assert "承办单位" in f.note


def test_sponsor_in_a_news_sentence_does_not_count():
    text = FOOTER.replace("主办单位：示例县人民政府办公室", "") + "\n县文联主办的书画展开幕"
    assert rules(text) == ["identity-sponsor"]


# ---- 联系方式

NO_CONTACT = FOOTER.replace(" | 联系我们", "").replace(" 联系电话：0851-12345678", "").replace(
    "地址：贵州省示例县城关镇人民路1号 ", "")
NO_CONTACT_LINKS = [link for link in LINKS if link.text != "联系我们"]


def test_contact_missing():
    assert "邮编" in NO_CONTACT
    [f] = check_home_identity(HOME, NO_CONTACT, NO_CONTACT_LINKS)
    assert f.rule == "identity-contact"


@pytest.mark.parametrize("shown", ["联系电话：0851-12345678", "电话：0851-12345678", "电话 0851-12345678",
                                   "联系方式", "联系我们", "邮箱：ban@shili.gov.cn", "E-mail: ban@shili.gov.cn",
                                   "地址：示例县人民路1号", "传真：0851-1234567"])
def test_contact_present(shown):
    assert "identity-contact" not in rules(NO_CONTACT + "\n" + shown, NO_CONTACT_LINKS)


def test_contact_link_counts():
    links = NO_CONTACT_LINKS + [LinkItem(url="https://www.shili.gov.cn/lxwm/", text=" 联系我们 ")]
    assert "identity-contact" not in rules(NO_CONTACT, links)


def test_site_address_is_not_a_contact():
    assert rules(NO_CONTACT + "\n网站地址：www.shili.gov.cn", NO_CONTACT_LINKS) == ["identity-contact"]


# ---- 党政机关网站标识


@pytest.mark.parametrize("link", [
    LinkItem(url="https://bszs.conac.cn/sitename?method=show&id=5299990001", text="", kind="external"),
    LinkItem(url="http://www.conac.cn/", text="", kind="external"),
    LinkItem(url="http://conac.cn/", text="", kind="external"),
    LinkItem(url="https://dcs.conac.cn/image/red.png", text="", kind="image"),
    LinkItem(url="https://www.shili.gov.cn/images/red.png", text="党政机关网站标识", kind="image"),
    LinkItem(url="https://www.shili.gov.cn/images/conac_red.png", text="", kind="image"),
])
def test_conac_present(link):
    links = [x for x in LINKS if "conac" not in x.url] + [link]
    assert rules(FOOTER, links) == []


def test_conac_missing():
    links = [x for x in LINKS if "conac" not in x.url]
    [f] = check_home_identity(HOME, FOOTER, links)
    assert f.rule == "identity-conac" and f.text == "首页未放置党政机关网站标识"


def test_conac_lookalike_host_does_not_count():
    links = [x for x in LINKS if "conac" not in x.url] + [
        LinkItem(url="https://notconac.cn/x", text="", kind="external"),
        LinkItem(url="https://www.shili.gov.cn/dzjg.html", text="关于我们", kind="page"),
    ]
    assert rules(FOOTER, links) == ["identity-conac"]


# ---- 我为政府网站找错


@pytest.mark.parametrize("link", [
    LinkItem(url="https://www.shili.gov.cn/zc/index.html", text="我为政府网站找错"),
    LinkItem(url="https://zfwzzc.www.gov.cn/check_web/errorInfo/jcInfo/abc", text="", kind="external"),
    LinkItem(url="https://www.gov.cn/zfwzzc/index.htm", text="", kind="external"),
    LinkItem(url="https://www.shili.gov.cn/images/zc.png", text="我为政府网站找错", kind="image"),
    LinkItem(url="https://zfwzgl.www.gov.cn/exposure/images/jiucuo.png?v=5299990001", text="", kind="image"),
    LinkItem(url="https://www.shili.gov.cn/zc/", text="我为政府网站 找错"),
])
def test_zhaocuo_present(link):
    links = [x for x in LINKS if x.text != "我为政府网站找错"] + [link]
    assert rules(FOOTER, links) == []


def test_zhaocuo_missing_even_when_the_words_are_plain_text():
    links = [x for x in LINKS if x.text != "我为政府网站找错"]
    [f] = check_home_identity(HOME, FOOTER, links)
    assert f.rule == "identity-zhaocuo"


# ---- precision: words in the navigation


def test_code_words_in_nav_do_not_disturb_a_correct_footer():
    nav = "首页\n网站标识码说明\nICP备案查询\n公安备案\n主办单位介绍\n联系我们\n"
    assert rules(nav + FOOTER) == []


def test_code_words_in_nav_do_not_stand_in_for_the_footer():
    nav = "首页\n网站标识码说明\nICP备案查询\n公网安备查询\n"
    text = nav + "主办单位：示例县人民政府办公室 联系电话：0851-12345678"
    assert rules(text) == ["identity-icp", "identity-police", "identity-site-code"]


# ---- meta tags -------------------------------------------------------------------------------

SITE = {"SiteName", "SiteDomain", "SiteIDCode"}
COLUMN = {"ColumnName", "ColumnDescription", "ColumnKeywords", "ColumnType"}
ARTICLE = {"ArticleTitle", "PubDate", "ContentSource"}


def test_complete_meta_tags_give_no_finding():
    pages = [
        (HOME, "home", set(SITE)),
        (HOME + "tzgg/", "list", SITE | COLUMN),
        (HOME + "tzgg/1.html", "article", SITE | COLUMN | ARTICLE),
        (HOME + "zc/", "other", SITE | COLUMN),
    ]
    assert check_meta_tags(HOME, pages) == []
    assert check_meta_tags(HOME, []) == []


def test_home_page_needs_no_column_tags():
    assert check_meta_tags(HOME, [(HOME, "home", {"sitename", "SITEDOMAIN", "SiteIdCode"})]) == []


def test_tag_names_compare_case_insensitively():
    tags = {t.lower() for t in SITE | COLUMN | ARTICLE}
    assert check_meta_tags(HOME, [(HOME + "a.html", "article", tags)]) == []


def test_meta_counts_examples_and_a_single_finding():
    articles = [(f"{HOME}tzgg/{i}.html", "article", SITE | {"ColumnName", "ColumnKeywords", "ColumnType",
                                                              "ArticleTitle", "PubDate"}) for i in range(5)]
    lists = [(f"{HOME}list{i}/", "list", SITE | COLUMN) for i in range(3)]
    home = [(HOME, "home", {"SiteName", "SiteDomain"})]
    findings = check_meta_tags(HOME, home + lists + articles)
    assert len(findings) == 1
    f = findings[0]
    assert (f.rule, f.category, f.severity, f.url, f.place, f.key) == (
        "identity-meta", "identity", "major", HOME, HOME, "identity-meta")
    assert f.extra == {
        "missing": {
            "ColumnDescription": {"count": 5, "examples": [f"{HOME}tzgg/{i}.html" for i in range(3)]},
            "ContentSource": {"count": 5, "examples": [f"{HOME}tzgg/{i}.html" for i in range(3)]},
            "SiteIDCode": {"count": 1, "examples": [HOME]},
        },
        "pages_checked": 9,
    }
    assert f.text == "6 个页面缺少必备元数据（ColumnDescription、ContentSource 等）"
    assert "ColumnDescription：5/8 个页面缺少" in f.note  # 8 non-home pages need Column* tags
    assert "ContentSource：5/5 个页面缺少" in f.note
    assert "SiteIDCode：1/9 个页面缺少" in f.note
    assert f"{HOME}tzgg/3.html" not in f.note  # at most 3 examples


def test_meta_duplicate_urls_counted_once():
    pages = [(HOME + "a/", "list", SITE)] * 3
    [f] = check_meta_tags(HOME, pages)
    assert f.extra["pages_checked"] == 1
    assert f.extra["missing"]["ColumnName"] == {"count": 1, "examples": [HOME + "a/"]}
    assert f.text == "1 个页面缺少必备元数据（ColumnName、ColumnDescription 等）"


def test_meta_two_missing_tags_summary_without_etc():
    [f] = check_meta_tags(HOME, [(HOME, "home", {"SiteName"})])
    assert f.text == "1 个页面缺少必备元数据（SiteDomain、SiteIDCode）"


# ---- links to bare IP addresses ---------------------------------------------------------------


def test_links_to_own_ip_host_are_fine():
    links = [("http://127.0.0.1:8080/", LinkItem(url="http://127.0.0.1:8080/tzgg/1.html")),
             ("http://127.0.0.1:8080/", LinkItem(url="http://127.0.0.1/zc/"))]
    assert check_ip_links("127.0.0.1:8080", links) == []
    assert check_ip_links("127.0.0.1", links) == []


def test_other_ip_flagged_once_from_three_pages():
    target = "http://10.1.2.3/oa/login.jsp"
    links = [(f"{HOME}p{i}.html", LinkItem(url=target, kind="external")) for i in range(3)]
    [f] = check_ip_links("www.shili.gov.cn", links)
    assert (f.rule, f.category, f.severity) == ("ip-link", "identity", "major")
    assert f.url == f.place == f.key == f.text == target
    assert f.parent_url == f"{HOME}p0.html"
    assert f.note == "政府网站不应链接到以IP地址访问的网址"
    assert f.suggestion == "改用域名访问的网址或删除链接"


def test_distinct_ip_targets_are_separate_findings():
    links = [(HOME, LinkItem(url="http://10.1.2.3/a")), (HOME, LinkItem(url="http://10.1.2.3:8080/b")),
             (HOME, LinkItem(url="http://10.1.2.3/a"))]
    assert [f.url for f in check_ip_links("www.shili.gov.cn", links)] == ["http://10.1.2.3/a",
                                                                           "http://10.1.2.3:8080/b"]


def test_hostnames_not_flagged():
    links = [(HOME, LinkItem(url=u, kind="external")) for u in (
        "https://www.gov.cn/", "http://localhost/", "https://1.2.3.4.example.com/", "https://www.shili.gov.cn/a")]
    assert check_ip_links("www.shili.gov.cn", links) == []


def test_ipv6_literal_flagged_and_own_ipv6_fine():
    links = [(HOME, LinkItem(url="http://[2001:db8::1]/x")), (HOME, LinkItem(url="http://[::1]:8080/y"))]
    assert [f.url for f in check_ip_links("www.shili.gov.cn", links)] == ["http://[2001:db8::1]/x",
                                                                           "http://[::1]:8080/y"]
    assert [f.url for f in check_ip_links("[::1]:8080", links)] == ["http://[2001:db8::1]/x"]
    assert [f.url for f in check_ip_links("::1", links)] == ["http://[2001:db8::1]/x"]
