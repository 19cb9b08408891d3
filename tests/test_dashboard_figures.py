"""The member's home page shows the member's own figures: "available to pay out" adds up the projects they
own; projects where they only collaborate are listed apart and not counted."""

from __future__ import annotations

import re

import pytest

from tests.projects_helpers import approved_project, fund

pytestmark = pytest.mark.django_db


def test_available_to_pay_out_counts_only_my_own_projects(coop, make_member, client_for):
    me, colleague, advisor = make_member(coop), make_member(coop), make_member(coop, "advisor")
    mine = approved_project(coop, me, advisor, title="Mein Projekt")
    theirs = approved_project(
        coop, colleague, advisor, title="Projekt der Kollegin", collaborators=[(me, "employed")]
    )
    fund(coop, mine, "1000.00")  # 1,000.00 − 7.5 % = 925.00 available
    fund(coop, theirs, "2000.00")  # 1,850.00, the colleague's budget

    html = client_for(me).get("/").content.decode()

    figures = re.search(r'data-figures="own">(.*?)</div>\s*</div>\s*<div class="table-wrap">', html, re.S)
    assert figures is not None
    available = re.search(r'stat-main">.*?class="value">(.*?)</div>', figures.group(1), re.S)
    assert available is not None
    assert re.sub(r"<[^>]+>|\s", "", available.group(1)) == "925.00"  # not 2,775.00
    assert re.search(r'<div class="label">Running</div><div class="value">1</div>', figures.group(1))
    own_table, collaborating = html.split('data-projects="collaborating"')
    assert f'data-project="{mine.pk}"' in own_table and f'data-project="{theirs.pk}"' not in own_table
    assert f'data-project="{theirs.pk}"' in collaborating
    assert "Projekt der Kollegin" in collaborating and str(colleague.user) in collaborating
    assert "1,850.00" not in html


def test_a_member_who_only_collaborates_sees_the_projects_but_no_figures(coop, make_member, client_for):
    me, colleague, advisor = make_member(coop), make_member(coop), make_member(coop, "advisor")
    theirs = approved_project(coop, colleague, advisor, collaborators=[(me, "self_employed")])
    fund(coop, theirs, "2000.00")

    html = client_for(me).get("/").content.decode()

    assert 'data-figures="own"' not in html
    assert f'data-project="{theirs.pk}"' in html
    assert "No projects yet." not in html
    assert "1,850.00" not in html
