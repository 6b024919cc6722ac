"""Issue #14 item 1 on both databases: the home page's "Your tasks", registered by the domains (domains.Task),
counted for each role over the dashboard tests' agency (reviews of known ages, practices due and not, an open
data call), a pending role grant and notices; each count a link to /tasks/<key> listing exactly those items
(``?overdue=1`` the overdue ones), each item a link where to act; "Nothing waiting" when there is nothing."""

from __future__ import annotations

import re

from raigov import domains
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.identity import service as identity
from raigov.identity.schemas import RoleGrantIn
from raigov.jobs.models import Notice
from raigov.jobs.outbox import DIGEST
from tests.governance.test_dashboard import DAY, build_agency

TASK = re.compile(r'<li id="task-([a-z_]+)" data-count="(\d+)" data-overdue="(\d+)">')
ROW = re.compile(r'<tr(?: class="raigov-overdue")?><td><a href="([^"]+)">')


def tasks_on_home(client) -> dict[str, tuple[int, int]]:
    html = client.get("/home").text
    return {k: (int(n), int(o)) for k, n, o in TASK.findall(html)}


def rows(client, path: str) -> list[str]:
    r = client.get(path)
    assert r.status_code == 200, path
    return ROW.findall(r.text)


def test_the_registered_tasks():
    keys = [t.key for t in domains.tasks()]
    assert keys == ["reviews", "changes", "practices", "certifications", "feedback", "grants", "genai_requests", "appeals",
                    "notices"]
    for t in domains.tasks():
        assert callable(domains.load(t.items)), t.key


def test_each_role_sees_its_tasks_counted_and_listed(client, db, make_user, sign_in, system):
    now = utcnow()
    ids = build_agency(db, now)
    for name, roles in {"privacy": ["privacy_reviewer"], "cbp.lead": ["component_ai_lead@CBP"],
                        "tsa.lead": ["component_ai_lead@TSA"], "the.caio": ["caio"], "adm": ["admin"],
                        "emp": ["employee"]}.items():
        make_user(name, *roles)
    with db.transaction() as s:  # an administrator grants a deciding role: it waits for the CAIO's office
        identity.grant_role(s, identity.actor_for(s, identity.get_user(s, "adm")), "emp",
                            RoleGrantIn(role="rug_member"))
        today = agency_today(now=now)
        for i, (due, kind) in enumerate([(today - DAY, "review"), (None, "practice"), (None, DIGEST)]):
            s.add(Notice(key=f"k{i}", kind="reminder", recipient="privacy@example.com", recipient_user="privacy",
                         subject=f"Notice {i}", body="b", object_type=kind, object_id=str(i), due_on=due))
        s.add(Notice(key="other", kind="reminder", recipient="x@example.com", recipient_user="cbp.lead",
                     subject="Not yours", body="b", object_type="review", object_id="9"))

    def as_user(username):
        client.cookies.clear()
        assert sign_in(username).status_code == 303
        return tasks_on_home(client)

    # a privacy reviewer (department-wide): the open privacy reviews, not the retired use case's; 2 over 30 days
    t = as_user("privacy")
    assert t == {"genai_requests": (0, 0), "reviews": (3, 2), "notices": (2, 1)}  # anyone may supervise someone
    listed = rows(client, "/tasks/reviews")
    assert listed == [f"/inventory/{ids[k]}/governance" for k in ("CBP-1", "TSA-1", "TSA-3")]  # oldest first
    assert rows(client, "/tasks/reviews?overdue=1") == [f"/inventory/{ids[k]}/governance" for k in ("CBP-1", "TSA-1")]
    assert len(rows(client, "/tasks/notices")) == 2
    assert client.get("/tasks/grants").status_code == 404  # not a task of theirs
    assert client.get("/tasks/nope").status_code == 404

    # CBP's lead: the lead's lane for CBP only, the changes asked of CBP-2, CBP's practices due (30 days ahead)
    t = as_user("cbp.lead")
    assert t == {"genai_requests": (0, 0), "reviews": (1, 0), "changes": (1, 0), "practices": (4, 3),
                 "certifications": (0, 0), "feedback": (0, 0), "notices": (1, 0)}
    assert rows(client, "/tasks/changes") == [f"/inventory/{ids['CBP-2']}/governance"]
    practices = client.get("/tasks/practices").text
    assert [x for x in ("Practice P1", "Practice P2", "Practice P4") if x in practices] == \
        ["Practice P1", "Practice P2", "Practice P4"] and "Practice P3" not in practices
    assert practices.count("raigov-overdue") == 3 and ids["TSA-1"] not in practices and ids["CBP-5"] not in practices

    # TSA's lead: TSA has not certified the open call yet (due in 20 days); TSA-1's practice 100 days late
    t = as_user("tsa.lead")
    assert t["certifications"] == (1, 0) and t["practices"] == (1, 1) and t["reviews"] == (1, 1)
    assert rows(client, "/tasks/certifications") == ["/datacall?year=2026"]

    # the CAIO: the call to certify, the grant to confirm (the independent review is withdrawn)
    t = as_user("the.caio")
    assert t == {"genai_requests": (0, 0), "reviews": (0, 0), "certifications": (1, 0), "grants": (1, 0),
                 "feedback": (0, 0), "notices": (0, 0)}
    assert rows(client, "/tasks/grants") == ["/admin/users/emp"]
    home = client.get("/home").text
    assert '<a href="/tasks/grants"><span class="raigov-task__n">1 </span>Role grants to confirm</a>' in home
    assert 'href="/tasks/reviews"' not in home  # a zero is no link

    # the administrator who asked for the grant does not confirm it; the employee has nothing waiting
    assert as_user("adm") == {"notices": (0, 0)}
    t = as_user("emp")
    assert t == {"genai_requests": (0, 0), "notices": (0, 0)}
    home = client.get("/home").text
    assert "Nothing waiting." in home and "generative" not in home.lower()


def test_the_dashboard_counts_overdue_as_the_queue_and_the_tasks_do(client, db, make_user, sign_in):
    """Issue #14 (last review): the dashboard's overdue figures equal what the review queue page marks overdue and
    what the home's tasks count overdue, for the CAIO (every lane, the whole department), a lead (its component)
    and a reviewer (their lane), on reviews of known ages (some past the due days, one just short of them)."""
    build_agency(db, utcnow())
    for name, roles in {"privacy": ["privacy_reviewer"], "cbp.lead": ["component_ai_lead@CBP"],
                        "tsa.lead": ["component_ai_lead@TSA"], "the.caio": ["caio"]}.items():
        make_user(name, *roles)
    figure = re.compile(r'data-figure="([a-z\-]+)">(\d+)<')
    lane_overdue = re.compile(r'data-label="Overdue" class="text-right">(\d+)<')
    marked = 'usa-tag bg-secondary-dark">overdue'
    for who, every_lane in (("the.caio", True), ("cbp.lead", True), ("tsa.lead", True), ("privacy", False)):
        client.cookies.clear()
        assert sign_in(who).status_code == 303
        dash = client.get("/dashboard").text
        queue = client.get("/reviews?all=1" if every_lane else "/reviews").text
        in_queue = queue.count(marked)
        if every_lane:  # the office's and the leads' dashboard: the figure and the lanes' column
            figures = dict(figure.findall(dash))
            assert int(figures["reviews-overdue"]) == in_queue, (who, figures, in_queue)
            assert who != "the.caio" or in_queue >= 3, in_queue  # the agency has overdue reviews to count
            overdue_practices = int(figures["practices-overdue"])
            if who != "the.caio":  # a lead's practices task counts the same overdue practices
                assert tasks_on_home(client)["practices"][1] == overdue_practices, who
        assert sum(int(n) for n in lane_overdue.findall(dash)) == in_queue, (who, in_queue)
        if not every_lane:  # a reviewer's task counts the overdue reviews of their lane as the queue marks them
            assert tasks_on_home(client)["reviews"][1] == in_queue == 2, who
