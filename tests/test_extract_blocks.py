"""split_text: the page's own text versus site chrome."""

from __future__ import annotations

from pathlib import Path

import lxml.etree
import lxml.html

from monitor.extract.blocks import render_text, split_text
from monitor.extract.encoding import decode_html

FIXTURES = Path(__file__).parent / "fixtures" / "extract"


def parse(html: str):
    return lxml.html.document_fromstring(html)


def split(body: str) -> tuple[str, list[str]]:
    return split_text(parse(f"<html><head><title>标题</title></head><body>{body}</body></html>"))


# -- a realistic page ------------------------------------------------------------------------


def article_split() -> tuple[str, list[str]]:
    text, _ = decode_html((FIXTURES / "article_gb2312_declared.html").read_bytes())
    return split_text(parse(text))


def test_article_main_text_is_the_article():
    main, _ = article_split()
    lines = main.splitlines()
    assert lines[0] == "关于开展2023年春季义务植树活动的通知"
    assert "发布时间：2023-04-17 09:30 信息来源：县林业局" in lines
    assert "为深入贯彻落实全民义务植树精神，进一步推进国土绿化，经县人民政府同意，现将有关事项通知如下：" in lines
    assert "联系人：张镕，联系电话：0851-87721234。" in lines
    assert "永靖镇 120" in lines  # table cells separated by a space, rows by lines
    assert "附件：1.息烽县2023年春季义务植树任务分解表.pdf" in lines


def test_article_main_text_has_no_chrome_script_or_comment():
    main, _ = article_split()
    for chrome in ("加入收藏", "走进息烽", "当前位置", "网站标识码", "ICP备", "澳门新葡京", "友情链接"):
        assert chrome not in main
    assert "1999-01-01" not in main  # document.write in a <script>
    assert "showDate" not in main
    assert "统计代码" not in main  # an HTML comment
    assert "text-indent" not in main  # <style>


def test_article_chrome_blocks_in_document_order():
    _, chrome = article_split()
    assert len(chrome) == 4  # top bar, nav, breadcrumb, footer; the logo-only header has no text
    top, nav, crumb, footer = chrome
    assert "加入收藏" in top and "贵州省人民政府" in top
    assert nav.splitlines() == ["首页", "政务公开", "政务服务", "互动交流", "走进息烽"]
    assert crumb == "当前位置：首页 > 政务公开 > 通知公告"
    assert "网站标识码：5201220001 黔ICP备05001234号-1" in footer
    assert "贵公网安备 52012202006106号" in footer


def test_hidden_spam_in_the_footer_is_kept_in_chrome():
    _, chrome = article_split()
    assert "澳门新葡京娱乐城 百家乐在线投注" in chrome[-1]


def test_chrome_in_an_undeclared_table_layout():
    text, _ = decode_html((FIXTURES / "notice_gbk_undeclared.html").read_bytes())
    main, chrome = split_text(parse(text))
    assert main.startswith("公告\n李某某：")
    assert chrome == ["网站标识码：5201220001 黔公网安备52012202006106号 版权所有：息烽县人民政府"]


# -- rules -------------------------------------------------------------------------------------


def test_semantic_chrome_tags_and_roles():
    main, chrome = split(
        "<header>站点头部</header><nav>导航</nav><div role='navigation'>辅助导航</div>"
        "<div>正文</div><footer>页脚</footer><div role='contentinfo'>版权</div>"
    )
    assert main == "正文"
    assert chrome == ["站点头部", "导航", "辅助导航", "页脚", "版权"]


def test_chrome_words_in_id_and_class():
    main, chrome = split(
        "<div id='topNav'>a</div><div class='head_wrap'>b</div><div class='w1200 footer1'>c</div>"
        "<div class='copyright'>d</div><div class='crumbs'>e</div><div id='banner'>f</div>"
        "<div class='menu-list'>g</div><div class='dibu'>h</div><div class='bottom'>i</div>"
        "<p>正文</p>"
    )
    assert main == "正文"
    assert chrome == list("abcdefghi")


def test_words_that_merely_contain_chrome_words_are_main():
    main, chrome = split(
        "<div class='topic'>专题</div><div class='headline'>头条</div><div class='canvas'>图</div>"
        "<div class='desktop'>桌面</div>"
    )
    assert chrome == []
    assert main.splitlines() == ["专题", "头条", "图", "桌面"]


def test_content_words_keep_an_element_in_main():
    main, chrome = split(
        "<div class='content-header'>发布时间：2023-04-17</div><div class='detail-head'>标题</div>"
        "<div class='top-news'>要闻</div>"
    )
    assert chrome == []
    assert main.splitlines() == ["发布时间：2023-04-17", "标题", "要闻"]


def test_nothing_inside_an_article_container_is_chrome():
    main, chrome = split(
        "<div class='nav'>导航</div>"
        "<article><header>文章标题 发布时间：2023-04-17</header><p>正文</p><footer>责任编辑：张三</footer></article>"
        "<div class='TRS_Editor'><div class='bottom'>附件</div></div>"
        "<div id='zoom'><nav>目录</nav></div>"
    )
    assert chrome == ["导航"]
    assert main.splitlines() == ["文章标题 发布时间：2023-04-17", "正文", "责任编辑：张三", "附件", "目录"]


def test_chrome_wrapper_holding_the_article_is_not_chrome():
    main, chrome = split(
        "<div class='top-wrap'><div class='nav'>导航</div><div id='zoom'>正文</div></div><div class='footer'>页脚</div>"
    )
    assert main == "正文"
    assert chrome == ["导航", "页脚"]


def test_only_the_outermost_chrome_element_is_a_block():
    _, chrome = split("<div class='footer'><div class='footer-links'>链接</div><div class='copyright'>版权</div></div>")
    assert chrome == ["链接\n版权"]


def test_sidebar_and_generic_wrappers_stay_main():
    main, chrome = split(
        "<div class='main'><div class='sidebar'>热点专题</div><div class='content'>正文</div>"
        "<div class='breadcrumb'>当前位置：首页</div></div>"
    )
    assert main == "热点专题\n正文"
    assert chrome == ["当前位置：首页"]


def test_empty_chrome_elements_are_dropped():
    main, chrome = split("<div id='header'><img src='logo.png'></div><p>正文</p>")
    assert (main, chrome) == ("正文", [])


def test_hidden_text_is_kept():
    main, _ = split("<p>正文</p><div style='display:none'>博彩 代开发票</div><span hidden>隐藏</span>")
    assert main == "正文\n博彩 代开发票\n隐藏"


def test_scripts_styles_noscript_template_and_comments_are_dropped():
    main, _ = split(
        "<p>甲<script>var a='脚本';</script>乙</p><style>p{color:red}</style>"
        "<noscript>请启用脚本</noscript><template><p>模板</p></template><!-- 注释 -->丙"
    )
    assert main == "甲乙\n丙"


# -- text layout ---------------------------------------------------------------------------


def test_block_breaks_and_whitespace():
    main, _ = split(
        "<h1> 标题 </h1><p>第一段<br>第二行</p><ul><li>一</li><li>二</li></ul>"
        "<p>\u3000\u3000缩进&nbsp;&nbsp;段落\t  多个   空格</p><p>   </p><p></p>"
        "<table><tr><td>单元格1</td><td>单元格2</td></tr><tr><th>表头</th></tr></table>"
        "<span>行</span><b>内</b>元素"
    )
    assert main.splitlines() == [
        "标题",
        "第一段",
        "第二行",
        "一",
        "二",
        "缩进 段落 多个 空格",
        "单元格1 单元格2",
        "表头",
        "行内元素",
    ]


def test_text_after_a_removed_element_is_kept():
    main, chrome = split("<p>前<nav>导航</nav>后</p>")
    assert chrome == ["导航"]
    assert main == "前\n后"


def test_render_text_of_a_fragment():
    el = lxml.html.fragment_fromstring("<div><p>甲</p>乙<br/>丙</div>")
    assert render_text(el) == "甲\n乙\n丙"


def test_empty_and_bodyless_documents():
    assert split("") == ("", [])
    assert split_text(lxml.html.document_fromstring("<p>只有段落</p>")) == ("只有段落", [])


def test_deeply_nested_markup_does_not_hit_the_recursion_limit():
    tree = lxml.html.document_fromstring("<html><body></body></html>")
    el = tree.find("body")
    for _ in range(5000):
        el = lxml.etree.SubElement(el, "div")
    el.text = "深"
    assert split_text(tree) == ("深", [])


def test_input_tree_is_not_modified():
    tree = parse("<html><body><div class='nav'>导航</div><p>正文</p></body></html>")
    before = lxml.html.tostring(tree)
    split_text(tree)
    assert lxml.html.tostring(tree) == before


def test_the_text_without_links_comes_with_the_main_text_in_one_pass():
    """page_texts renders the main text, and the same without link text (for the blank notice),
    in one walk: both as render_text gives them, on real pages and on odd nesting."""
    from monitor.extract.blocks import _body, find_chrome, page_texts

    odd = ("<html><body><div class='nav'><a href='/'>首页</a></div><p>暂无<a href='x'>链<b>接</b></a>信息<!-- c -->尾</p>"
           "<a class='top' href='/t'>返回顶部</a>后<table><tr><td><a href='y'><div>块</div></a>格</td></tr></table>"
           "<script>var a;</script>完</body></html>")
    pages = [path.read_bytes() for path in sorted(FIXTURES.glob("*.html"))]
    for raw in pages + [odd.encode("utf-8")]:
        html = decode_html(raw)[0]
        for tree in (parse(html), lxml.etree.fromstring(html, lxml.etree.HTMLParser())):
            body = _body(tree)
            chrome = find_chrome(body)
            main, blocks, without_links = page_texts(body, chrome)
            assert main == render_text(body, set(chrome))
            assert blocks == [t for t in (render_text(el) for el in chrome) if t]
            assert without_links == render_text(body, set(chrome) | set(body.iter("a")))
