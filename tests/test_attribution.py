"""Which column and department own a URL."""

from __future__ import annotations

import pytest

from monitor.attribution import column_for, department_for
from monitor.config import Column, Site


def site(columns) -> Site:
    return Site(id="portal", name="示例县", url="http://127.0.0.1:8000/", department="office",
                paths={"/jyj/": "edu", "/jyj/xxgk/": "edu-open"}, columns=columns)


@pytest.mark.parametrize("order", [1, -1])
def test_the_most_specific_column_wins_whatever_the_order(order):
    columns = [Column(name="政务公开", url="http://127.0.0.1:8000/zwgk/index.html", department="office"),
               Column(name="通知公告", url="http://127.0.0.1:8000/zwgk/tzgg/", department="edu")][::order]
    s = site(columns)
    assert column_for(s, "http://127.0.0.1:8000/zwgk/tzgg/202611/t1.html").name == "通知公告"
    assert column_for(s, "http://127.0.0.1:8000/zwgk/other.html").name == "政务公开"
    assert column_for(s, "http://127.0.0.1:8000/ywdt/a.html") is None


def test_department_from_column_then_longest_path_then_site_default():
    s = site([Column(name="通知公告", url="http://127.0.0.1:8000/tzgg/", department="edu")])
    assert department_for(s, "http://127.0.0.1:8000/tzgg/a.html", column_for(s, "http://127.0.0.1:8000/tzgg/a.html")) == "edu"
    assert department_for(s, "http://127.0.0.1:8000/jyj/xxgk/b.html") == "edu-open"
    assert department_for(s, "http://127.0.0.1:8000/jyj/c.html") == "edu"
    assert department_for(s, "http://127.0.0.1:8000/ywdt/d.html") == "office"


def test_a_column_on_another_host_does_not_match():
    s = site([Column(name="外站", url="http://127.0.0.2:8000/tzgg/", department="edu")])
    assert column_for(s, "http://127.0.0.1:8000/tzgg/a.html") is None
