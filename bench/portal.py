"""A synthetic county portal (示例县人民政府) of N pages, and a fast server for it on 127.0.0.1.

    python bench/portal.py serve [--pages 20000] [--seed 20261202] [--port 0] [--dead-port P]
    python bench/portal.py write DIR [--pages 300]          # the files, to look at
    python bench/portal.py load --port P [--seconds 3]      # throughput of a running server

Used by bench/crawl.py, and importable by tests (`from bench.portal import build_portal,
start_server`). Deterministic for a seed: the same arguments give byte-identical pages,
hence the same ETags, in every run (attachments included: their zip timestamps are fixed).

The portal: a home page (blocks of the newest entries, 友情链接, a footer with 网站标识码 and
ICP/公安备案 like the demo), department home pages (/jyj/, /wjj/, /mzj/, /nyncj/), a contact
page, and ~20 columns (要闻动态, 通知公告, 政策文件, 乡镇动态 …), each with list pages of 20
dated entries (index.html, index_1.html …, newest first, 下一页/尾页 and a window of page
numbers) and article pages in gov CMS style: header and nav chrome, breadcrumb, 发布时间,
the gov meta tags (SiteIDCode, ColumnName, ColumnType, ArticleTitle, PubDate …), a few
paragraphs assembled from a phrase bank, 上一篇/下一篇. Dates spread over the two years before
`today`; one plan column is left stale. `pages` counts HTML pages exactly; a column never gets
more than 450 list pages (crawl traps start at 500): large portals (~100,000 pages) get town
columns (城关镇动态 …) linked from the home page.

Encodings: the columns of an old sub-system (乡镇动态, 招标采购, 民政公示, 农业农村; ~20 % of
pages) are GBK — most declare it in a meta tag (gb2312), some only in the HTTP header, a few
nowhere; the rest is UTF-8, with the charset in the header for half of the columns.
Attachments: ~5 % of articles link one — .xlsx and .docx files generated once (openpyxl,
python-docx) and served under many names, and a few .pdf links that answer 404.

Planted problems (`Portal.planted`): typos from lexicons/typos.tsv in ~0.5 % of articles,
two 公示 pages with a full ID number (correct check digit), the 404 PDFs, links to a
closed port on 127.0.0.1 (external links that are broken, and stay local), a stale column.

The server: an asyncio HTTP/1.1 server (stdlib only) over the pre-rendered bytes, with
Content-Type, Content-Length, ETag, Last-Modified, conditional GET (If-None-Match,
If-Modified-Since → 304), HEAD, keep-alive and pipelining. Unknown paths answer 404;
/__portal_stats__ answers the server's counters (requests, by status, HEAD, body bytes).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any, Callable
from urllib.parse import unquote

#: the portal's "today" (the scan's --as-of): every date on it is at most this
PORTAL_TODAY = date(2026, 12, 1)
DEFAULT_PAGES = 20_000
DEFAULT_SEED = 20261202
#: a port where nothing listens, for the external links (overridden by crawl.py with a port it checked)
DEFAULT_DEAD_PORT = 9

SITE_NAME = "示例县人民政府"
SITE_DOMAIN = "www.shili.gov.cn"
SITE_CODE = "5299990001"
PER_PAGE = 20
TZ = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class ColumnSpec:
    path: str  # URL folder, e.g. "ywdt/" or "jyj/jydt/"
    name: str  # ColumnName
    kind: str  # ColumnType: news, notice, policy, personnel, plan, other
    weight: float  # share of the articles
    gbk: bool = False
    department: str | None = None  # department folder (jyj …) this column belongs to
    description: str = ""
    newest_days: int = 0  # days between `today` and the newest entry (0: fresh column)
    in_nav: bool = True  # linked from every page's nav bar (department columns: from their department page)


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("ywdt/", "要闻动态", "news", 2.0, description="县委县政府重要会议、重要活动"),
    ColumnSpec("bmdt/", "部门动态", "news", 1.6, description="县直各部门工作动态"),
    ColumnSpec("xzdt/", "乡镇动态", "news", 1.6, gbk=True, description="各乡镇工作动态"),
    ColumnSpec("tzgg/", "通知公告", "notice", 1.2, description="县人民政府及办公室通知、公告"),
    ColumnSpec("zcwj/", "政策文件", "policy", 0.8, description="县人民政府及办公室文件"),
    ColumnSpec("gfxwj/", "规范性文件", "policy", 0.5, description="县级行政规范性文件"),
    ColumnSpec("zcjd/", "政策解读", "policy", 0.6, description="重要政策文件解读"),
    ColumnSpec("rsxx/", "人事信息", "personnel", 0.5, description="人事任免、公开招聘"),
    ColumnSpec("ghjh/", "规划计划", "plan", 0.4, description="发展规划、年度计划", newest_days=420),
    ColumnSpec("czxx/", "财政信息", "other", 0.7, description="预决算、三公经费公开"),
    ColumnSpec("gsgg/", "公示公告", "notice", 0.8, description="各类公示"),
    ColumnSpec("zbcg/", "招标采购", "other", 0.7, gbk=True, description="政府采购与工程招标公告"),
    ColumnSpec("tjxx/", "统计信息", "other", 0.5, description="统计数据、统计公报"),
    ColumnSpec("jyj/jydt/", "教育动态", "news", 1.0, department="jyj", description="全县教育工作动态"),
    ColumnSpec("jyj/tzgg/", "教育通知公告", "notice", 0.6, department="jyj", description="县教育局通知公告"),
    ColumnSpec("wjj/wjdt/", "卫健动态", "news", 1.0, department="wjj", description="卫生健康工作动态"),
    ColumnSpec("mzj/mzdt/", "民政动态", "news", 0.8, department="mzj", description="民政工作动态"),
    ColumnSpec("mzj/gsgs/", "民政公示", "notice", 0.5, gbk=True, department="mzj", description="低保、救助等公示"),
    ColumnSpec("nyncj/nydt/", "农业农村动态", "news", 0.7, gbk=True, department="nyncj", description="农业农村工作动态"),
    ColumnSpec("jyta/", "建议提案办理", "other", 0.5, description="人大代表建议和政协提案办理复文"),
)

#: list pages a column may have (crawl traps start at page 500); larger portals get town columns
MAX_LIST_PAGES = 450


def _town_column(i: int) -> ColumnSpec:
    """The i-th extra column of a large portal: one town's news, linked from the home page."""
    return ColumnSpec(f"xzdt/xz{i + 1:02d}/", f"{TOWNS[i]}动态", "news", 1.0, gbk=i % 5 == 0,
                      description=f"{TOWNS[i]}工作动态", in_nav=False)


DEPARTMENTS: dict[str, str] = {"jyj": "示例县教育局", "wjj": "示例县卫生健康局", "mzj": "示例县民政局",
                               "nyncj": "示例县农业农村局"}

# ------------------------------------------------------------------------- phrase bank
# Correct government text only (a test of the bench checks that it yields no finding).
UNITS = ["县发展和改革局", "县教育局", "县工业和信息化局", "县公安局", "县民政局", "县司法局", "县财政局",
         "县人力资源和社会保障局", "县自然资源局", "县住房和城乡建设局", "县交通运输局", "县水务局",
         "县农业农村局", "县商务局", "县文体广电旅游局", "县卫生健康局", "县退役军人事务局", "县应急管理局",
         "县审计局", "县市场监督管理局", "县统计局", "县医疗保障局", "县林业局", "县政务服务中心",
         "县融媒体中心", "县总工会", "团县委", "县妇联", "县科协", "县供销社"]
TOWNS = ["城关镇", "青山镇", "石桥镇", "龙泉乡", "白云乡", "新华镇", "河口镇", "桃源乡", "长坡镇", "花溪乡",
         "东岭镇", "马场镇"]
LEADERS = ["县委书记", "县委副书记、县长", "县委常委、常务副县长", "副县长", "县人大常委会主任", "县政协主席"]
TOPICS = ["安全生产", "森林防火", "防汛抗旱", "乡村振兴", "营商环境优化", "农村人居环境整治", "耕地保护",
          "河湖长制", "消防安全", "食品安全", "农村饮水安全", "医疗保障", "养老服务", "文明城市创建",
          "高标准农田建设", "义务教育优质均衡发展", "就业创业", "秋冬季农业生产", "冬春季植树造林",
          "城乡环境综合治理", "矛盾纠纷排查化解", "政务公开", "招商引资", "项目建设", "民生实事",
          "未成年人保护", "全民健身", "普法宣传", "防灾减灾", "地质灾害防治", "道路交通安全",
          "校园安全", "燃气安全", "粮食生产", "生猪稳产保供", "农民工工资支付", "信访工作",
          "社会救助", "基层卫生服务", "特色产业发展"]
EVENTS = ["召开{t}工作推进会", "召开{t}工作调度会", "开展{t}专项行动", "部署{t}重点工作",
          "开展{t}督查检查", "召开{t}工作联席会议", "举办{t}业务培训班", "开展{t}集中宣传活动"]
EVENTS2 = ["开展{t}专项行动", "开展{t}督查检查", "开展{t}集中宣传活动", "开展{t}入户走访"]
OPENINGS = [
    "{md}，{actor}{event}，{purpose}。{leader}出席会议并讲话。",
    "{md}，{actor}{event}。会议传达学习了上级有关文件精神，通报了前一阶段工作情况，安排部署下一步工作。",
    "{md}，{leader}带队深入{town}，实地调研{t}工作，看现场、听汇报、问实情。",
    "为切实做好{t}工作，{md}，{actor}{event}，各乡镇、县直有关部门分管负责同志参加。",
    "近日，{actor}组织工作人员深入{town}各村（社区），{event2}，{purpose}。",
]
MIDDLES = [
    "会议指出，{t}工作事关人民群众切身利益，事关经济社会发展大局，各级各部门要{demand}，{demand2}。",
    "会议强调，要{demand}，{demand2}，确保{goal}。",
    "{leader}指出，要坚持问题导向，{demand}，{demand2}，以钉钉子精神抓好各项工作落实。",
    "据了解，今年以来，{actor}累计{action}{n}{unit}，{result}。",
    "调研中，{leader}详细了解了{t}推进情况，对前期工作给予肯定，并就存在的困难和问题与基层干部群众交流。",
    "活动现场，工作人员通过发放宣传资料、设置咨询台、现场讲解等方式，向群众宣传{t}相关知识，共发放宣传资料{n}余份。",
    "各乡镇、各部门要压紧压实工作责任，加强协调配合，形成工作合力，{demand2}。",
    "会上，{town}、{town2}和{actor}分别作了交流发言，汇报了{t}工作进展及下一步工作打算。",
    "截至目前，全县已完成{t}年度目标任务的{pct}%，各项工作总体进展顺利。",
    "{actor}有关负责人表示，将以此次活动为契机，{demand}，不断提升群众的获得感、幸福感、安全感。",
]
CLOSINGS = [
    "下一步，{actor}将继续{demand}，{demand2}，为全县经济社会高质量发展提供有力保障。",
    "会议要求，各有关单位要对照任务清单，明确时间节点，{demand2}，确保各项任务按期完成。",
    "此次活动进一步增强了群众的{t}意识，营造了全社会共同参与的良好氛围。",
    "{leader}要求，各级各部门要把{t}工作摆在突出位置，{demand}，以实际成效取信于民。",
]
DEMANDS = ["提高政治站位", "强化责任担当", "细化工作措施", "加强统筹协调", "狠抓工作落实", "坚持标本兼治",
           "健全长效机制", "加大工作力度", "强化督查问效", "补齐短板弱项", "突出工作重点", "压实属地责任",
           "加强宣传引导", "严格执行工作制度", "加强队伍建设", "创新工作方法"]
DEMANDS2 = ["切实把各项工作抓细抓实", "推动工作取得实实在在的成效", "坚决守住不发生重大风险的底线",
            "确保各项政策措施落地见效", "持续巩固拓展工作成果", "及时发现和解决苗头性问题",
            "不断提升服务群众的能力和水平", "形成上下联动、齐抓共管的工作格局"]
GOALS = ["年度目标任务圆满完成", "全县大局持续和谐稳定", "人民群众生命财产安全", "各项工作有序推进",
         "群众满意度持续提升", "工作质量和效率明显提高"]
PURPOSES = ["进一步推动工作落实", "切实保障人民群众合法权益", "不断提升公共服务水平", "推动全县高质量发展",
            "营造良好的社会氛围", "提高群众的知晓率和参与度"]
ACTIONS = [("排查整改隐患", "处"), ("开展宣传活动", "场次"), ("培训各类人员", "人次"), ("走访群众", "户"),
           ("投入资金", "万元"), ("建成项目", "个"), ("办理业务", "件"), ("发放补助资金", "万元")]
RESULTS = ["有效提升了群众的满意度", "各项指标均好于上年同期", "工作成效明显", "得到群众的广泛好评",
           "为完成全年目标任务奠定了坚实基础"]
BASES = ["《中华人民共和国安全生产法》", "《中华人民共和国政府信息公开条例》", "《中华人民共和国森林法》",
         "《中华人民共和国义务教育法》", "《中华人民共和国食品安全法》", "《社会救助暂行办法》",
         "上级有关文件精神", "县委、县人民政府工作安排"]
ITEM_TITLES = ["工作目标", "工作任务", "实施步骤", "保障措施", "工作要求", "职责分工", "时间安排"]
PEOPLE = ["王建华", "李晓梅", "张志强", "刘丽娟", "陈国平", "杨秀英", "赵永刚", "黄海燕", "周文斌", "吴春兰",
          "徐明辉", "孙玉芬", "胡德明", "朱红梅", "高建军", "林小燕", "何俊峰", "郭淑珍", "马永福", "罗丽萍"]
POSTS = ["办公室主任", "副局长", "副主任", "副镇长", "副乡长", "综合股股长", "党组成员"]
PROJECTS = ["县城道路提升改造", "农村饮水安全巩固提升", "中小学校舍维修改造", "乡镇卫生院设备购置",
            "高标准农田建设", "农村公路安全生命防护", "城区污水管网改造", "便民服务中心建设",
            "老旧小区改造", "河道综合治理"]

#: typos from lexicons/typos.tsv, each in a sentence where it stands as a word
TYPO_SENTENCES = [
    "全县上下要再接再励，推动各项工作再上新台阶。",
    "新校区启用当天，学生们迫不急待地走进宽敞明亮的教室。",
    "各项工作要按步就班、稳步推进，确保不出现任何纰漏。",
    "面对复杂形势，党员干部决不能一愁莫展，要主动想办法、找出路。",
    "节日期间，县城主要街道车辆穿流不息，交警部门加强了疏导。",
    "项目建设要一股作气、加快推进，确保年底前完工。",
    "改革创新不能默守成规，要敢于破除思维定式。",
]

CSS = b"""body{margin:0;font:14px/1.8 "Microsoft YaHei",SimSun,sans-serif;color:#333;background:#f4f4f4}
a{color:#333;text-decoration:none}.header{background:#b5121b;color:#fff}.nav{background:#8e0c13}
.nav a{display:inline-block;padding:8px 10px;color:#fff}.main{width:1000px;margin:12px auto;background:#fff;padding:16px 24px}
.list li span{float:right;color:#999}.page{text-align:center;margin:14px 0;font-size:12px}
.article h1{text-align:center;font-size:22px;color:#b5121b}.article .info{text-align:center;font-size:12px;color:#666}
.footer{text-align:center;font-size:12px;color:#666;border-top:3px solid #b5121b;padding:12px 0}
"""
JS = b"function setFontSize(n){document.querySelector('.content').style.fontSize=n+'px';}\n"


# ------------------------------------------------------------------------- data model
@dataclass
class Resource:
    """One URL of the portal, pre-rendered."""

    body: bytes
    content_type: str
    etag: str
    last_modified: int  # Unix seconds (whole seconds, as HTTP dates carry)

    @classmethod
    def make(cls, body: bytes, content_type: str, modified: datetime) -> "Resource":
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        return cls(body, content_type, etag, int(modified.timestamp()))


@dataclass
class Portal:
    today: date
    resources: dict[str, Resource]  # URL path ("/ywdt/index.html") → resource
    columns: list[dict[str, Any]]
    html_pages: int = 0
    articles: int = 0
    list_pages: int = 0
    gbk_pages: int = 0
    attachment_links: int = 0  # links to attachments that exist (paths may repeat no file twice)
    planted: dict[str, list[str]] = field(default_factory=dict)  # kind → paths

    def summary(self) -> dict[str, Any]:
        files = [p for p, r in self.resources.items() if not r.content_type.startswith("text/html")]
        return {
            "today": self.today.isoformat(),
            "html_pages": self.html_pages, "articles": self.articles, "list_pages": self.list_pages,
            "columns": len(self.columns), "gbk_pages": self.gbk_pages,
            "attachments": self.attachment_links, "static_files": len(files) - self.attachment_links,
            "urls": len(self.resources),
            "bytes": sum(len(r.body) for r in self.resources.values()),
            "planted": {k: len(v) for k, v in self.planted.items()},
        }


def valid_id(prefix17: str) -> str:
    """A fictional 18-digit ID number with a correct GB 11643 check digit (as tests/conftest.py)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return prefix17 + "10X98765432"[sum(int(d) * w for d, w in zip(prefix17, weights)) % 11]


# ------------------------------------------------------------------------- documents
def _fixed_zip(data: bytes) -> bytes:
    """The same zip (an .xlsx or .docx) with fixed timestamps, so the bytes are reproducible."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2026-01-01T00:00:00Z", data)
            dst.writestr(fixed, data)
    return out.getvalue()


def _xlsx(rng: random.Random, variant: int) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "项目清单"
    ws.append([f"示例县2026年第{variant + 1}批{rng.choice(['民生实事', '重点建设', '财政资金'])}项目清单"])
    ws.append(["序号", "项目名称", "实施单位", "资金（万元）", "完成时限"])
    for i in range(12):
        ws.append([i + 1, f"{rng.choice(TOWNS)}{rng.choice(PROJECTS)}项目", rng.choice(UNITS)[1:],
                   rng.randint(20, 900), f"2026年{rng.randint(6, 12)}月"])
    fixed = datetime(2026, 1, 1)
    wb.properties.created = wb.properties.modified = fixed
    wb.properties.creator = "示例县人民政府办公室"
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_zip(buf.getvalue())


def _docx(rng: random.Random, variant: int) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(f"示例县{rng.choice(TOPICS)}工作实施方案", level=1)
    for _ in range(4 + variant):
        doc.add_paragraph(_paragraph(rng, rng.choice(TOPICS)))
    doc.add_paragraph("示例县人民政府办公室")
    fixed = datetime(2026, 1, 1)
    doc.core_properties.created = doc.core_properties.modified = fixed
    doc.core_properties.author = "示例县人民政府办公室"
    buf = io.BytesIO()
    doc.save(buf)
    return _fixed_zip(buf.getvalue())


def _png() -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xb5\x12\x1b" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# ------------------------------------------------------------------------- text
def _fill(template: str, rng: random.Random, topic: str, when: date | None = None) -> str:
    action, unit = rng.choice(ACTIONS)
    town, town2 = rng.sample(TOWNS, 2)
    return template.format(
        t=topic, md=f"{when.month}月{when.day}日" if when else "近日", actor=rng.choice(UNITS),
        event=rng.choice(EVENTS).format(t=topic), event2=rng.choice(EVENTS2).format(t=topic),
        leader=rng.choice(LEADERS), town=town, town2=town2, purpose=rng.choice(PURPOSES),
        demand=rng.choice(DEMANDS), demand2=rng.choice(DEMANDS2), goal=rng.choice(GOALS),
        action=action, unit=unit, n=rng.randint(12, 3000), pct=rng.randint(60, 98), result=rng.choice(RESULTS))


def _paragraph(rng: random.Random, topic: str) -> str:
    return _fill(rng.choice(MIDDLES), rng, topic) + _fill(rng.choice(MIDDLES), rng, topic)


def _title(rng: random.Random, kind: str, topic: str, column: ColumnSpec) -> str:
    town, unit = rng.choice(TOWNS), rng.choice(UNITS)
    if kind == "news":
        return rng.choice([f"{unit}{rng.choice(EVENTS).format(t=topic)}", f"{town}{rng.choice(EVENTS[1:]).format(t=topic)}",
                           f"我县{rng.choice(EVENTS).format(t=topic)}", f"{rng.choice(LEADERS)}到{town}调研{topic}工作"])
    if kind == "notice":
        if column.path.endswith("gsgs/") or column.name == "公示公告":
            return rng.choice([f"关于{town}{rng.choice(PROJECTS)}项目的公示", f"关于{rng.randint(2025, 2026)}年度{town}城乡低保对象的公示",
                               f"{unit}关于拟表彰{topic}工作先进集体和先进个人的公示"])
        return rng.choice([f"关于做好{topic}工作的通知", f"关于开展{topic}专项检查的通知",
                           f"{unit}关于{topic}有关事项的公告", f"关于进一步加强{topic}工作的通知"])
    if kind == "policy":
        return rng.choice([f"示例县人民政府关于印发示例县{topic}实施方案的通知",
                           f"示例县人民政府办公室关于进一步加强{topic}工作的意见",
                           f"《示例县{topic}工作实施方案》政策解读", f"示例县{topic}管理办法"])
    if kind == "personnel":
        return rng.choice([f"示例县人民政府关于{rng.choice(PEOPLE)}等同志职务任免的通知",
                           f"{unit}{rng.randint(2025, 2026)}年公开招聘工作人员公告",
                           f"{unit}{rng.randint(2025, 2026)}年公开招聘拟聘用人员名单公示"])
    if kind == "plan":
        return rng.choice([f"示例县{topic}“十五五”规划", f"{unit}{rng.randint(2024, 2025)}年工作总结和下一年工作计划"])
    return rng.choice([f"{town}{rng.choice(PROJECTS)}项目招标公告", f"{unit}{rng.randint(2024, 2026)}年部门预算公开说明",
                       f"示例县{rng.randint(2024, 2026)}年{rng.randint(1, 3)}季度主要经济指标",
                       f"对县人大代表第{rng.randint(1, 120)}号建议的答复", f"{town}{rng.choice(PROJECTS)}项目竞争性磋商公告"])


def _body_paragraphs(rng: random.Random, kind: str, topic: str, when: date) -> list[tuple[str, str]]:
    """(css class, text) paragraphs of an article."""
    if kind in ("notice", "policy", "personnel", "plan") and rng.random() < 0.7:
        out = [("noindent", "各乡镇人民政府，县直各部门：")] if kind != "policy" else []
        out.append(("", f"为{rng.choice(PURPOSES)}，根据{rng.choice(BASES)}，结合我县实际，现将{topic}有关事项通知如下。"))
        numbers = "一二三四五六七"
        for i, heading in enumerate(rng.sample(ITEM_TITLES, rng.randint(2, 4))):
            out.append(("", f"{numbers[i]}、{heading}。" + _fill(rng.choice(MIDDLES), rng, topic)))
        out.append(("", f"联系人：{rng.choice(PEOPLE)}，联系电话：0851-8{rng.randint(100, 999)}{rng.randint(1000, 9999)}。"))
        out.append(("sign", f"{rng.choice(UNITS)[1:]}<br>{when.year}年{when.month}月{when.day}日"))
        return out
    out = [("", _fill(rng.choice(OPENINGS), rng, topic, when))]
    for _ in range(rng.randint(2, 5)):
        out.append(("", _fill(rng.choice(MIDDLES), rng, topic)))
    out.append(("", _fill(rng.choice(CLOSINGS), rng, topic)))
    return out


# ------------------------------------------------------------------------- page chrome
def _head(title: str, meta: dict[str, str], charset_meta: str) -> str:
    tags = "".join(f'<meta name="{k}" content="{v}">\n' for k, v in meta.items())
    return (f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n{charset_meta}<title>{title}</title>\n{tags}'
            '<link rel="stylesheet" href="/css/style.css">\n<script src="/js/common.js"></script>\n</head>\n')


def _header(nav: str) -> str:
    return (f'<body>\n<div class="header">\n  <div class="top"><a href="/index.html"><img src="/images/logo.png" '
            f'alt="{SITE_NAME}" width="60" height="60"></a><span class="sitename"><a href="/index.html">{SITE_NAME}</a>'
            f'</span><span class="domain">{SITE_DOMAIN}</span></div>\n  <div class="nav">\n{nav}  </div>\n</div>\n')


def _footer(home: bool, dead: str) -> str:
    links = ""
    if home:
        links = (f'  <p>友情链接：<a href="{dead}/gov/">中国政府网</a>　<a href="{dead}/province/">省人民政府</a>　'
                 f'<a href="{dead}/city/">市人民政府</a>　<a href="/jyj/index.html">示例县教育局</a></p>\n')
    return (f'<div class="footer">\n{links}'
            '  <p><a href="/zc/index.html">我为政府网站找错</a>　|　<a href="/index.html">网站首页</a>　|　'
            '<a href="/zc/index.html">联系我们</a></p>\n'
            '  <p>主办单位：示例县人民政府办公室　联系电话：0851-12345678</p>\n'
            '  <p>地址：贵州省示例县城关镇人民路1号　邮编：550199</p>\n'
            f'  <p>网站标识码：{SITE_CODE}　<span>黔ICP备10201081号-1</span>　<span>黔公网安备 52999902006106号</span></p>\n'
            f'  <p class="dzjg"><a href="{dead}/sitename?method=show&amp;id={SITE_CODE}" title="党政机关网站标识">'
            '<img src="/images/dzjg.png" alt="党政机关网站标识" width="55" height="60"></a></p>\n'
            '</div>\n</body>\n</html>\n')


def _site_meta(column: str, kind: str, description: str) -> dict[str, str]:
    return {"SiteName": SITE_NAME, "SiteDomain": SITE_DOMAIN, "SiteIDCode": SITE_CODE, "ColumnName": column,
            "ColumnDescription": description or column, "ColumnKeywords": f"{column},{SITE_NAME}", "ColumnType": kind}


def _paging(index: int, pages: int, total: int) -> str:
    def name(i: int) -> str:
        return "index.html" if i == 0 else f"index_{i}.html"

    parts = [f"共{total}条　第{index + 1}页/共{pages}页　"]
    if index > 0:
        parts.append(f'<a href="{name(0)}">首页</a> <a href="{name(index - 1)}">上一页</a> ')
    low, high = max(0, index - 4), min(pages, index + 6)
    parts += [f'<a href="{name(i)}">{i + 1}</a> ' if i != index else f"<span>{i + 1}</span> " for i in range(low, high)]
    if index < pages - 1:
        parts.append(f'<a href="{name(index + 1)}">下一页</a> <a href="{name(pages - 1)}">尾页</a>')
    return '<div class="page">' + "".join(parts) + "</div>"


# ------------------------------------------------------------------------- the portal
def _allocate(total_articles: int, columns: list[ColumnSpec]) -> list[int]:
    weights = [c.weight for c in columns]
    shares = [total_articles * w / sum(weights) for w in weights]
    counts = [int(s) for s in shares]
    for i in sorted(range(len(columns)), key=lambda i: shares[i] - counts[i], reverse=True)[:total_articles - sum(counts)]:
        counts[i] += 1
    return counts


def _html_count(counts: list[int]) -> int:
    return sum(a + max(1, math.ceil(a / PER_PAGE)) for a in counts)


def _fit(counts: list[int], budget: int) -> list[int]:
    """Articles per column adjusted so that articles + list pages == budget (starting close)."""
    i = 0
    while (diff := _html_count(counts) - budget) != 0:
        if diff >= 2:  # one article fewer frees at most one list page
            j = max(range(len(counts)), key=lambda k: counts[k])
        elif diff == 1:  # one article fewer where that frees no list page
            j = next((k for k in range(len(counts)) if counts[k] % PER_PAGE != 1 and counts[k] > 1),
                     max(range(len(counts)), key=lambda k: counts[k]))
        elif diff == -1:  # one article more where that needs no new list page
            j = next((k for k in range(len(counts)) if counts[k] % PER_PAGE != 0), 0)
            counts[j] += 1
            continue
        else:
            counts[i % len(counts)] += 1
            i += 1
            continue
        counts[j] -= 1
    return counts


def build_portal(pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED, dead_port: int = DEFAULT_DEAD_PORT,
                 today: date = PORTAL_TODAY) -> Portal:
    """The portal with exactly `pages` HTML pages (at least 60), rendered to bytes."""
    rng = random.Random(seed)
    dead = f"http://127.0.0.1:{dead_port}"
    if pages < 60:
        raise ValueError("pages must be at least 60")
    columns = list(COLUMNS[: max(4, min(len(COLUMNS), pages // 40))])
    while True:
        departments = {d: name for d, name in DEPARTMENTS.items() if any(c.department == d for c in columns)}
        fixed_pages = 1 + len(departments) + 1  # home, department home pages, contact page
        budget = pages - fixed_pages
        # articles such that articles + list pages == budget
        counts = _fit(_allocate(budget * PER_PAGE // (PER_PAGE + 1), columns), budget)
        if max(math.ceil(a / PER_PAGE) for a in counts) <= MAX_LIST_PAGES:
            break
        towns = len(columns) - len(COLUMNS)
        if towns >= len(TOWNS):
            raise ValueError(f"{pages} pages: too many list pages in one column (crawl traps start at page 500)")
        columns.append(_town_column(towns))

    resources: dict[str, Resource] = {}
    portal = Portal(today=today, resources=resources, columns=[],
                    planted={"typos": [], "id-numbers": [], "missing-pdf": [], "external-dead": []})
    epoch = datetime(2026, 1, 1, tzinfo=TZ)
    for path, body, ctype in (("/css/style.css", CSS, "text/css"), ("/js/common.js", JS, "application/javascript"),
                              ("/images/logo.png", _png(), "image/png"), ("/images/dzjg.png", _png(), "image/png")):
        resources[path] = Resource.make(body, ctype, epoch)
    doc_rng = random.Random(seed + 1)
    documents = [(_xlsx(doc_rng, v), "xlsx") for v in range(3)] + [(_docx(doc_rng, v), "docx") for v in range(3)]
    doc_types = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}

    nav = "".join(f'    <a href="/{c.path}index.html">{c.name}</a>\n' for c in columns if c.department is None and c.in_nav)
    nav = '    <a href="/index.html">首页</a>\n' + nav + "".join(
        f'    <a href="/{d}/index.html">{name[3:]}</a>\n' for d, name in departments.items())
    header = _header(nav)
    footer, home_footer = _footer(False, dead), _footer(True, dead)
    article_id = 1000
    newest: dict[str, list[tuple[str, str, date]]] = {}
    typo_every = 200  # ~0.5 % of articles
    id_pages_left = 2

    for ci, (column, count) in enumerate(zip(columns, counts)):
        col_rng = random.Random(seed * 1000 + ci)
        # encoding mode of the column's pages; GBK columns mix how they declare it
        charset_header = (not column.gbk) and ci % 2 == 0
        days = sorted((column.newest_days + int(col_rng.random() ** 1.3 * 730) for _ in range(count)))
        if days:
            days[0] = column.newest_days  # the newest entry is exactly that old
        entries: list[tuple[str, str, date, datetime]] = []  # (href from the column folder, title, date, modified)
        records: list[tuple[str, str, datetime, str]] = []
        for k, back in enumerate(days):
            when = today - timedelta(days=back)
            published = datetime(when.year, when.month, when.day, col_rng.randint(8, 18), col_rng.choice((0, 15, 30, 45)),
                                 tzinfo=TZ)
            article_id += 1
            href = f"{when:%Y%m}/t{when:%Y%m%d}_{article_id}.html"
            topic = col_rng.choice(TOPICS)
            title = _title(col_rng, column.kind, topic, column)
            entries.append((href, title, when, published))
            records.append((href, title, published, topic))
        newest[column.path] = [(f"/{column.path}{h}", t, d) for h, t, d, _ in entries[:8]]
        crumb_column = f'<a href="/{column.path}index.html">{column.name}</a>'
        if column.department:
            crumb_column = f'<a href="/{column.department}/index.html">{DEPARTMENTS[column.department][3:]}</a> &gt; ' + crumb_column
        meta = _site_meta(column.name, column.kind, column.description)

        def encode(html: str, number: int) -> tuple[bytes, str]:
            if not column.gbk:
                return html.encode("utf-8"), "text/html; charset=utf-8" if charset_header else "text/html"
            portal.gbk_pages += 1
            return html.encode("gbk"), "text/html; charset=GBK" if number % 10 in (3, 6) else "text/html"

        def charset_meta(number: int) -> str:
            if not column.gbk:
                return '<meta charset="utf-8">\n'
            mode = number % 10
            if mode in (3, 6):  # HTTP header only
                return ""
            if mode == 9:  # declared nowhere
                return ""
            return '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">\n'

        # articles
        for k, (href, title, published, topic) in enumerate(records):
            number = article_id - len(records) + k + 1
            paragraphs = _body_paragraphs(col_rng, column.kind, topic, published.date())
            extra = ""
            if number % typo_every == 57:
                sentence = TYPO_SENTENCES[(number // typo_every) % len(TYPO_SENTENCES)]
                cls, text = paragraphs[-1] if paragraphs[-1][0] != "sign" else paragraphs[-2]
                idx = len(paragraphs) - 1 if paragraphs[-1][0] != "sign" else len(paragraphs) - 2
                paragraphs[idx] = (cls, text + sentence)
                portal.planted["typos"].append(f"/{column.path}{href}")
            if id_pages_left and column.kind == "notice" and "公示" in title and k >= 3:
                id_pages_left -= 1
                rows = []
                for r in range(6):
                    person = PEOPLE[(number + r) % len(PEOPLE)]
                    prefix = f"520122{1950 + (number + r * 7) % 45}{(r % 12) + 1:02d}{(r * 3) % 27 + 1:02d}{(number + r) % 1000:03d}"
                    full = valid_id(prefix)
                    shown = full if r == 2 else full[:6] + "********" + full[-4:]
                    rows.append(f"<tr><td>{r + 1}</td><td>{person}</td><td>{shown}</td><td>{TOWNS[r % len(TOWNS)]}</td></tr>")
                extra += ('<table><tr><th>序号</th><th>姓名</th><th>身份证号</th><th>所在乡镇</th></tr>'
                          + "".join(rows) + "</table>\n")
                portal.planted["id-numbers"].append(f"/{column.path}{href}")
            if number % 20 == 7:  # ~5 % of articles link an attachment
                stamp = published.strftime("%Y%m%d")
                if number % 500 == 7:  # a few PDFs that were never uploaded
                    name = f"{href.split('/')[0]}/P0{stamp}{number}.pdf"
                    portal.planted["missing-pdf"].append(f"/{column.path}{name}")
                    label = f"{title[:20]}.pdf"
                else:
                    body, ext = documents[(number // 20) % len(documents)]
                    name = f"{href.split('/')[0]}/P0{stamp}{number}.{ext}"
                    resources[f"/{column.path}{name}"] = Resource.make(body, doc_types[ext], published)
                    portal.attachment_links += 1
                    label = f"{title[:20]}.{ext}"
                extra += f'<p class="attach">附件：<a href="/{column.path}{name}">{label}</a></p>\n'
            if number % 700 == 11:
                extra += f'<p>原文链接：<a href="{dead}/news/{number}.html">{dead}/news/{number}.html</a></p>\n'
                portal.planted["external-dead"].append(f"/{column.path}{href}")
            prev_next = []
            if k > 0:
                prev_next.append(f'<a href="/{column.path}{records[k - 1][0]}">上一篇：{records[k - 1][1]}</a>')
            if k < len(records) - 1:
                prev_next.append(f'<a href="/{column.path}{records[k + 1][0]}">下一篇：{records[k + 1][1]}</a>')
            source = column.department and DEPARTMENTS[column.department] or "示例县融媒体中心"
            stamp = published.strftime("%Y-%m-%d %H:%M")
            article_meta = dict(meta, ArticleTitle=title, PubDate=stamp, ContentSource=source)
            content = "".join(f'    <p class="{c}">{t}</p>\n' if c else f"    <p>{t}</p>\n" for c, t in paragraphs)
            html = (_head(f"{title}_{column.name}_{SITE_NAME}", article_meta, charset_meta(number)) + header
                    + '<div class="main">\n  <div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; '
                    f'{crumb_column} &gt; 正文</div>\n  <div class="article">\n  <h1>{title}</h1>\n'
                    f'  <div class="info">发布时间：{stamp}　来源：{source}　【字体：<a href="javascript:setFontSize(16)">大</a> '
                    '<a href="javascript:setFontSize(14)">中</a>】</div>\n  <div class="content">\n'
                    f"{content}{extra}  </div>\n  <div class=\"prevnext\">{'<br>'.join(prev_next)}</div>\n  </div>\n</div>\n"
                    + footer)
            body, ctype = encode(html, number)
            resources[f"/{column.path}{href}"] = Resource.make(body, ctype, published)
            portal.articles += 1

        # list pages
        list_count = max(1, math.ceil(len(entries) / PER_PAGE))
        for index in range(list_count):
            chunk = entries[index * PER_PAGE:(index + 1) * PER_PAGE]
            items = "".join(f'      <li><a href="{h}" title="{t}" target="_blank">{t}</a><span>{d.isoformat()}</span></li>\n'
                            for h, t, d, _ in chunk)
            name = "index.html" if index == 0 else f"index_{index}.html"
            html = (_head(f"{column.name}_{SITE_NAME}", meta, charset_meta(index)) + header
                    + '<div class="main">\n  <div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; '
                    f'{crumb_column}</div>\n  <div class="list">\n    <h2>{column.name}</h2>\n    <ul>\n{items}    </ul>\n'
                    f"    {_paging(index, list_count, len(entries))}\n  </div>\n</div>\n" + footer)
            body, ctype = encode(html, index)
            modified = chunk[0][3] if chunk else datetime(today.year, today.month, today.day, tzinfo=TZ)
            resources[f"/{column.path}{name}"] = Resource.make(body, ctype, modified)
            portal.list_pages += 1
        portal.columns.append({"name": column.name, "path": f"/{column.path}", "kind": column.kind,
                               "articles": len(entries), "list_pages": list_count, "gbk": column.gbk,
                               "newest": entries[0][2].isoformat() if entries else None})

    # department home pages, the contact page, the home page (UTF-8)
    midnight = datetime(today.year, today.month, today.day, tzinfo=TZ)

    def block(title: str, path: str) -> str:
        items = "".join(f'      <li><a href="{u}">{t}</a><span>{d.isoformat()}</span></li>\n' for u, t, d in newest.get(path, []))
        return (f'  <div class="block">\n    <h2><a href="/{path}index.html">{title}</a><a class="more" href="/{path}index.html">'
                f"更多&gt;&gt;</a></h2>\n    <ul>\n{items}    </ul>\n  </div>\n")

    for dept, dept_name in departments.items():
        blocks = "".join(block(c.name, c.path) for c in columns if c.department == dept)
        html = (_head(f"{dept_name}_{SITE_NAME}", _site_meta(dept_name, "other", f"{dept_name}信息公开"), '<meta charset="utf-8">\n')
                + header + f'<div class="main">\n  <div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; {dept_name[3:]}</div>\n'
                + blocks + "</div>\n" + footer)
        resources[f"/{dept}/index.html"] = Resource.make(html.encode("utf-8"), "text/html; charset=utf-8", midnight)
    phones = "".join(f"<tr><td>{unit}</td><td>0851-8{600 + i:03d}{1000 + i * 37:04d}</td></tr>" for i, unit in enumerate(UNITS[:12]))
    html = (_head(f"联系我们_{SITE_NAME}", _site_meta("联系我们", "other", "网站联系方式"), '<meta charset="utf-8">\n') + header
            + '<div class="main">\n  <div class="crumb">当前位置：<a href="/index.html">首页</a> &gt; 联系我们</div>\n'
            "  <p>示例县人民政府办公室负责本网站的日常运行维护。对网站内容有意见建议的，请致电0851-12345678，"
            "或通过“我为政府网站找错”平台留言，我们将在三个工作日内答复。</p>\n"
            f"  <table><tr><th>单位</th><th>办公电话</th></tr>{phones}</table>\n</div>\n" + footer)
    resources["/zc/index.html"] = Resource.make(html.encode("utf-8"), "text/html; charset=utf-8", epoch)
    home_blocks = "".join(block(c.name, c.path) for c in columns[:6])
    towns = [c for c in columns if not c.in_nav and c.department is None]
    if towns:
        home_blocks += ('  <div class="block">\n    <h2>乡镇频道</h2>\n    <ul>\n'
                        + "".join(f'      <li><a href="/{c.path}index.html">{c.name}</a></li>\n' for c in towns)
                        + "    </ul>\n  </div>\n")
    html = (_head(SITE_NAME, _site_meta("首页", "other", f"{SITE_NAME}门户网站首页"), '<meta charset="utf-8">\n') + header
            + f'<div class="main">\n  <div class="crumb">今天是{today.year}年{today.month}月{today.day}日　欢迎访问{SITE_NAME}门户网站</div>\n'
            + home_blocks + "</div>\n" + home_footer)
    resources["/index.html"] = Resource.make(html.encode("utf-8"), "text/html; charset=utf-8", midnight)
    portal.planted["external-dead"].append("/index.html")
    portal.html_pages = portal.articles + portal.list_pages + fixed_pages
    assert portal.html_pages == pages, (portal.html_pages, pages)
    return portal


def write_portal(portal: Portal, directory: Path) -> None:
    """The portal as files (to look at; the server serves from memory)."""
    for path, resource in portal.resources.items():
        target = directory / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(resource.body)


# ------------------------------------------------------------------------- the server
#: the server's counters as JSON (linked from nowhere: no crawl finds it)
STATS_PATH = "/__portal_stats__"
_REASONS = {200: b"OK", 304: b"Not Modified", 400: b"Bad Request", 404: b"Not Found", 405: b"Method Not Allowed"}
_NOT_FOUND = b"<html><head><title>404</title></head><body><h1>404 Not Found</h1></body></html>"


class _Clock:
    """The Date header, formatted once a second."""

    def __init__(self) -> None:
        self.second = 0
        self.value = b""

    def now(self) -> bytes:
        second = int(time.time())
        if second != self.second:
            self.second = second
            self.value = format_datetime(datetime.fromtimestamp(second, timezone.utc), usegmt=True).encode()
        return self.value


class PortalProtocol(asyncio.Protocol):
    """HTTP/1.1 over the pre-rendered resources: GET and HEAD, keep-alive, pipelining,
    conditional GET. Request bodies (none expected) are skipped by Content-Length."""

    MAX_HEAD = 64 * 1024

    def __init__(self, server: "PortalServer") -> None:
        self.server = server
        self.buffer = b""
        self.transport: Any = None
        self.skip = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while buffer:
            if self.skip:
                taken = min(self.skip, len(buffer))
                self.skip -= taken
                buffer = buffer[taken:]
                continue
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(buffer) > self.MAX_HEAD:
                    self._send(400, None, b"HEAD", close=True)
                    return
                break
            head, buffer = buffer[:end], buffer[end + 4:]
            if not self._request(head):
                self.buffer = b""
                return
        self.buffer = buffer

    def _request(self, head: bytes) -> bool:
        """Answer one request; False when the connection is closed."""
        lines = head.split(b"\r\n")
        try:
            method, target, version = lines[0].split(b" ", 2)
        except ValueError:
            self._send(400, None, b"GET", close=True)
            return False
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = headers.get(b"content-length")
        if length and length.isdigit():
            self.skip = int(length)
        connection = headers.get(b"connection", b"").lower()
        close = connection == b"close" or (version == b"HTTP/1.0" and connection != b"keep-alive")
        if method not in (b"GET", b"HEAD"):
            self._send(405, None, method, close)
            return not close
        path = unquote(target.split(b"?", 1)[0].split(b"#", 1)[0].decode("latin-1"))
        if path.startswith(("http://", "https://")):  # absolute form
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        if path.endswith("/"):
            path += "index.html"
        if path == STATS_PATH:
            self._stats(close)
            return not close
        resource = self.server.resources.get(path)
        if resource is None:
            self._send(404, None, method, close)
        elif self._not_modified(resource, headers):
            self._send(304, resource, method, close)
        else:
            self._send(200, resource, method, close)
        return not close

    @staticmethod
    def _not_modified(resource: Resource, headers: dict[bytes, bytes]) -> bool:
        match = headers.get(b"if-none-match")
        if match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            tags = [t.strip().removeprefix(b"W/") for t in match.split(b",")]
            return b"*" in tags or resource.etag.encode() in tags
        since = headers.get(b"if-modified-since")
        if since:
            try:
                return resource.last_modified <= int(parsedate_to_datetime(since.decode("latin-1")).timestamp())
            except (TypeError, ValueError, IndexError, OverflowError):
                return False
        return False

    def _stats(self, close: bool) -> None:
        server = self.server
        body = json.dumps({"requests": server.requests, "by_status": server.by_status, "head": server.head,
                           "body_bytes": server.body_bytes}).encode()
        self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                             % (len(body), b"Connection: close\r\n" if close else b"", body))
        if close:
            self.transport.close()

    def _send(self, status: int, resource: Resource | None, method: bytes, close: bool) -> None:
        server = self.server
        server.requests += 1
        server.by_status[status] = server.by_status.get(status, 0) + 1
        if method == b"HEAD":
            server.head += 1
        if resource is not None:
            head = server.heads.get(id(resource))
            if head is None:
                head = server.heads[id(resource)] = (
                    f"Content-Type: {resource.content_type}\r\nETag: {resource.etag}\r\n"
                    f"Last-Modified: {format_datetime(datetime.fromtimestamp(resource.last_modified, timezone.utc), usegmt=True)}\r\n"
                ).encode()
            body = resource.body if status == 200 else b""
        else:
            head, body = b"Content-Type: text/html; charset=utf-8\r\n", _NOT_FOUND
        out = [b"HTTP/1.1 %d %s\r\nServer: portal-bench\r\nDate: " % (status, _REASONS[status]), server.clock.now(),
               b"\r\n", head]
        if status != 304:
            out.append(b"Content-Length: %d\r\n" % len(body))
        out.append(b"Connection: close\r\n\r\n" if close else b"\r\n")
        if method != b"HEAD" and status != 304:
            out.append(body)
            server.body_bytes += len(body)
        self.transport.write(b"".join(out))
        if close:
            self.transport.close()


class PortalServer:
    """The portal's resources behind PortalProtocol, on an asyncio loop."""

    def __init__(self, resources: dict[str, Resource]) -> None:
        self.resources = dict(resources)
        self.heads: dict[int, bytes] = {}
        self.clock = _Clock()
        self.requests = self.head = self.body_bytes = 0
        self.by_status: dict[int, int] = {}

    async def serve(self, host: str = "127.0.0.1", port: int = 0,
                    ready: Callable[[int], None] | None = None, stop: asyncio.Event | None = None) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: PortalProtocol(self), host, port, backlog=1024, reuse_address=True)
        bound = server.sockets[0].getsockname()[1]
        if ready:
            ready(bound)
        stop = stop or asyncio.Event()
        async with server:
            await stop.wait()


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen
    port: int
    summary: dict[str, Any]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stats(self) -> dict[str, Any]:
        """The server's counters: requests, by_status, head, body_bytes (since it started)."""
        from urllib.request import ProxyHandler, build_opener

        with build_opener(ProxyHandler({})).open(f"{self.url.rstrip('/')}{STATS_PATH}", timeout=10) as response:
            data = json.load(response)
        data["by_status"] = {int(k): v for k, v in data["by_status"].items()}
        return data

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(pages: int = DEFAULT_PAGES, seed: int = DEFAULT_SEED, dead_port: int = DEFAULT_DEAD_PORT,
                 today: date = PORTAL_TODAY, port: int = 0) -> ServerProcess:
    """Build the portal and serve it from a separate process; returns once it listens."""
    command = [sys.executable, str(Path(__file__).resolve()), "serve", "--pages", str(pages), "--seed", str(seed),
               "--dead-port", str(dead_port), "--today", today.isoformat(), "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()  # the server's one line: JSON once it listens
    if not line:
        process.kill()
        raise RuntimeError(f"portal server did not start (exit code {process.wait()})")
    summary = json.loads(line)
    return ServerProcess(process, summary["port"], summary)


# ------------------------------------------------------------------------- load test client
async def _load(port: int, paths: list[str], connections: int, seconds: float) -> dict[str, Any]:
    counts = {"requests": 0, "bytes": 0, "errors": 0}
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while time.perf_counter() < deadline:
                path = paths[i % len(paths)]
                i += connections
                writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                body = await reader.readexactly(length)
                if not head.startswith(b"HTTP/1.1 200"):
                    counts["errors"] += 1
                counts["requests"] += 1
                counts["bytes"] += len(head) + len(body)
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    elapsed = time.perf_counter() - start
    return {"requests": counts["requests"], "errors": counts["errors"], "seconds": elapsed,
            "requests_per_s": counts["requests"] / elapsed, "mb_per_s": counts["bytes"] / elapsed / 1e6,
            "connections": connections}


def measure_server(port: int, paths: list[str], connections: int = 8, seconds: float = 3.0) -> dict[str, Any]:
    """Throughput of a running portal server with a keep-alive client in a separate process
    (the client is plain Python: the figure is a lower bound of what the server can do)."""
    command = [sys.executable, str(Path(__file__).resolve()), "load", "--port", str(port),
               "--connections", str(connections), "--seconds", str(seconds), "--paths", ",".join(paths)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def sample_paths(portal: Portal, count: int = 200) -> list[str]:
    """HTML pages and attachments in their proportions, for the load test."""
    rng = random.Random(1)
    paths = sorted(p for p, r in portal.resources.items() if r.content_type.startswith("text/html") or "officedocument" in r.content_type)
    return rng.sample(paths, min(count, len(paths)))


# ------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("serve", "write"):
        p = sub.add_parser(name)
        if name == "write":
            p.add_argument("directory", type=Path)
        p.add_argument("--pages", type=int, default=DEFAULT_PAGES)
        p.add_argument("--seed", type=int, default=DEFAULT_SEED)
        p.add_argument("--dead-port", type=int, default=DEFAULT_DEAD_PORT)
        p.add_argument("--today", type=date.fromisoformat, default=PORTAL_TODAY)
        p.add_argument("--port", type=int, default=0)
    p = sub.add_parser("load")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--paths", default="/index.html")
    args = parser.parse_args(argv)

    if args.command == "load":
        print(json.dumps(asyncio.run(_load(args.port, args.paths.split(","), args.connections, args.seconds))))
        return
    started = time.perf_counter()
    portal = build_portal(args.pages, args.seed, args.dead_port, args.today)
    built = time.perf_counter() - started
    if args.command == "write":
        write_portal(portal, args.directory)
        print(json.dumps(portal.summary(), ensure_ascii=False, indent=1))
        return

    server = PortalServer(portal.resources)
    summary = dict(portal.summary(), build_seconds=round(built, 2), sample_paths=sample_paths(portal))
    del portal

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def ready(port: int) -> None:
            print(json.dumps(dict(summary, port=port), ensure_ascii=False), flush=True)

        await server.serve("127.0.0.1", args.port, ready, stop)

    asyncio.run(run())


if __name__ == "__main__":
    main()
