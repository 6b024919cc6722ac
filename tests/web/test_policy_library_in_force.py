"""Issue #14 item 6: /policy marks "in force" only the version of each pack in force today (the registry's
rule: the latest version whose dates include today), not every version whose dates include today; the
earlier ones say which version superseded them. The oracle is the registry's `in_force(today)`."""

import re

import pytest

from raigov.clock import agency_today
from raigov.policy.packs import current_registry

ROW = re.compile(r'<th scope="row" data-label="Pack"><a href="/policy/([^"]+)">[^<]+</a>( <span class="usa-tag">in force'
                 r'</span>| <span class="usa-hint">superseded by ([^<]+)</span>)?</th>')


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_only_the_version_in_force_is_marked(client, make_user, sign_in, settings):
    make_user("reader", "auditor")
    assert sign_in("reader").status_code == 303
    rows = {key: (mark, by) for key, mark, by in ROW.findall(client.get("/policy").text)}
    reg = current_registry()
    today = agency_today(settings)
    assert set(rows) == {p.key for p in reg.packs()}
    marked = {k for k, (mark, _) in rows.items() if "in force" in mark}
    assert marked == {p.key for p in reg.in_force(today)}
    ids = [k.split("@")[0] for k in marked]
    assert len(ids) == len(set(ids))  # one version per pack
    m2521 = [p.key for p in reg.versions("omb-m-25-21")]
    assert len(m2521) >= 3 and [k for k in m2521 if k in marked] == [m2521[-1]]
    for k in m2521[:-1]:
        assert rows[k][1] == m2521[-1], k  # superseded by the newest
