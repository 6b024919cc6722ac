"""The demo's generative AI and workforce training (issue #16, docs/genai.md and docs/training.md).

- The tool catalog: DHSChat, the internal chat tool cleared for internal data (PII and CUI); two commercial tools
  cleared for public information only (ChatGPT conditionally approved under the Federal terms-of-service
  amendment, Claude approved); Microsoft Copilot with Bing, revoked today (the 2025 restriction of commercial
  tools in favour of internal ones), which suspended its grants and put a notice for each holder in the outbox.
- Rules of behavior, version 1.
- A TSA supervisor (`tsa.supervisor`) with pending requests: from an employee whose GenAI course has lapsed (the
  approval is refused until it is current again), from a new employee with no training yet, and from two of the
  workforce. The demo `employee` (TSA) holds grants of DHSChat and ChatGPT.
- A workforce of 42 people without a sign-in across six components, their completions imported from a learning
  system's CSV export (`training.import_completions`): current, expired or never taken, drawn with a fixed seed.
- 300 prompts screened, drawn from general templates with fixed-seed values (names, SSNs, A-numbers, markings):
  200 through the guard service (as the screen page and API do) and 100 through the gateway's rules as the
  holders' requests (the grant checked with `access.check`, screened, usage counted; the demo's tools have no
  upstream address, as there is no LLM behind the demo, so nothing is forwarded and no tokens are counted). The
  audit trail holds a SHA-256 and counts for each, never a text.

Idempotent: skipped when the catalog holds a tool. Adds about 6.5 s to `raigov demo load` on the shared 2-core
machine at load 7-8 (of which 1.5 s hashes the three demo passwords); docs/genai.md, "Demo".
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.config import Settings
from raigov.genai import access, catalog, gateway, rules
from raigov.genai import service as guard
from raigov.genai.models import Tool
from raigov.identity import service as identity
from raigov.identity.permissions import Actor
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.identity.supervisors import set_supervisor, supervisor_of
from raigov.training import service as training

SEED = 16
SINCE_DAYS = 365  # the tools were approved a year ago (their first state's date)
# username, display name, unit: the demo people of this module who sign in (demo-only passwords)
PEOPLE = [("tsa.supervisor", "Uma Vance (TSA supervisor)", "TSA"),
          ("employee.lapsed", "Victor Wu (TSA employee, GenAI course lapsed)", "TSA"),
          ("employee.new", "Wendy Xu (TSA employee, new: no training yet)", "TSA")]
UNITS = ("TSA", "CBP", "USCIS", "FEMA", "ICE", "CISA")
FIRST = ("Maria", "James", "Patricia", "Michael", "Jennifer", "David", "Elizabeth", "Carlos", "Sofia", "Ahmed",
         "Linda", "Robert", "Mei", "Daniel", "Aisha", "Thomas", "Olga", "Kevin", "Priya", "Samuel", "Rosa")
LAST = ("Lopez", "Smith", "Johnson", "Nguyen", "Garcia", "Brown", "Patel", "Kim", "Martinez", "Okafor", "Miller",
        "Davis", "Chen", "Wilson", "Haddad", "Moore", "Ivanova", "Taylor", "Singh", "Clark", "Reyes")
RULES_TEXT = (
    "1. Use only the GenAI tools the catalog approves, for the purpose your supervisor approved.\n"
    "2. Put into a tool only the data it is cleared for: commercial tools take publicly available information only; "
    "internal tools (DHSChat) take Department data, including PII and CUI, and never classified information.\n"
    "3. Screen a prompt with the prompt guard when in doubt; never work around a block.\n"
    "4. Check every output before you use it; you remain responsible for what you produce.\n"
    "5. Report a suspected spill of PII, CUI or classified information to your supervisor and the Privacy Office.")
TOOLS = [  # key, name, data class, state, conditions, terms-of-service amendment, courses
    ("dhschat", "DHSChat (internal)", "internal", "approved", "", "",
     ["genai-responsible-use", "cui-basics"]),
    ("chatgpt", "ChatGPT Enterprise (commercial)", "public", "conditional",
     "Publicly available information only; sign in with the agency account",
     "The Federal amendment to the terms of service (indemnification, governing law, no training on agency data)",
     ["genai-responsible-use"]),
    ("claude", "Claude (commercial)", "public", "approved", "",
     "The Federal amendment to the terms of service", ["genai-responsible-use"]),
    ("copilot-bing", "Microsoft Copilot with Bing (commercial)", "public", "approved", "", "",
     ["genai-responsible-use"]),
]
REVOKED = ("copilot-bing", "DHS restricted commercial GenAI tools in favour of internal ones (DHSChat)")

TOPICS = ("the travel reimbursement policy", "the hiring freeze", "port of entry wait times", "the grant program",
          "the records retention schedule", "the cybersecurity awareness week", "the disaster recovery exercise",
          "the new case management system", "the telework agreement", "the fiscal year budget request")
DOCS = ("report", "memo", "briefing", "press release", "meeting notes", "policy draft")
CLEAN = ("Summarise the attached {doc} on {topic} in five bullet points.",
         "Rewrite this paragraph about {topic} in plain language for the public website.",
         "Draft an agenda for a one-hour meeting on {topic}.",
         "List three risks of {topic} and a mitigation for each.",
         "Suggest a title for a {doc} about {topic}.")
PERSONAL = ("Draft a reply to {name} at {email} about their question on {topic}.",
            "Call {name} at {phone} to confirm the interview on {topic}.",
            "Summarise the case of {name}, A-number {anum}, date of birth {dob}.",
            "The traveler {name} holds passport number {passport}; check the itinerary.",
            "Employee {name}, SSN {ssn}, asked about {topic}.",
            "Mail the notice on {topic} to {name}, {address}.",
            "The I-94 admission number {i94} of {name} does not match the record.",
            "Refund the fee to card {card} and tell {name} by e-mail at {email}.")
MARKED = ("CUI//SP-PRVCY\nCase notes on {topic} for the file of {name}.",
          "(U//FOUO) Draft talking points on {topic}.",
          "SECRET//NOFORN\nSummary of {topic} for the briefing.",
          "LAW ENFORCEMENT SENSITIVE\nThe operation plan for {topic}.")
STREETS = ("Main St", "Oak Avenue", "Pennsylvania Ave NW", "Maple Drive", "Elm Street", "Lake Road")
CITIES = (("Arlington", "VA", "22202"), ("Denver", "CO", "80202"), ("Miami", "FL", "33101"), ("Austin", "TX", "78701"))


def _luhn_card(g: random.Random) -> str:
    digits = [4] + [g.randrange(10) for _ in range(14)]
    total = sum(d if i % 2 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    return " ".join(s[i:i + 4] for i in range(0, 16, 4))


def _values(g: random.Random) -> dict:
    first, last = g.choice(FIRST), g.choice(LAST)
    city, state, zip_code = g.choice(CITIES)
    return {"name": f"{first} {last}", "email": f"{first.lower()}.{last.lower()}@example.com",
            "phone": f"({g.choice((202, 571, 703, 305))}) 555-01{g.randrange(100):02d}",
            "ssn": f"{g.randrange(100, 666):03d}-{g.randrange(1, 100):02d}-{g.randrange(1, 10000):04d}",
            "anum": f"A{g.randrange(10**8, 10**9)}", "dob": f"{g.randrange(1, 13):02d}/{g.randrange(1, 29):02d}/"
                                                           f"{g.randrange(1950, 2005)}",
            "passport": f"{g.randrange(10**8, 10**9)}", "i94": f"{g.randrange(10**8, 10**9)}A{g.randrange(10)}",
            "card": _luhn_card(g), "address": f"{g.randrange(10, 9999)} {g.choice(STREETS)}, {city}, {state} {zip_code}",
            "topic": g.choice(TOPICS), "doc": g.choice(DOCS)}


def prompt(g: random.Random) -> str:
    """One demo prompt: plain (45 %), with personal data (40 %) or with a marking (15 %)."""
    r = g.random()
    templates = CLEAN if r < 0.45 else PERSONAL if r < 0.85 else MARKED
    return g.choice(templates).format(**_values(g))


def _people(session: Session, settings: Settings, admin: Actor, creds: dict, g: random.Random) -> dict[str, list[str]]:
    """The module's sign-in people and the workforce without sign-in; {unit: usernames}, the supervisor first."""
    for username, name, unit in PEOPLE:
        password = identity.new_password(settings, username, "demo-", 9)
        identity.create_user(session, admin, UserCreate(
            username=username, display_name=name, email=f"{username}@example.com", org_unit=unit, password=password,
            roles=[RoleGrantIn(role="employee", component=unit)]), settings)
        creds["people"][username] = {"password": password, "roles": [f"employee@{unit}"], "name": name}
    staff: dict[str, list[str]] = {u: [] for u in UNITS}
    staff["TSA"] = ["tsa.supervisor", "employee", "employee.lapsed", "employee.new"]
    pairs = [(f, la) for f in FIRST for la in LAST]
    g.shuffle(pairs)
    for i, (first, last) in enumerate(pairs[:42]):
        unit = UNITS[i % len(UNITS)]
        username = f"{first}.{last}".lower()
        identity.create_user(session, admin, UserCreate(
            username=username, display_name=f"{first} {last}", email=f"{username}@example.com", org_unit=unit,
            roles=[RoleGrantIn(role="employee", component=unit)]), settings)
        staff[unit].append(username)
    for members in staff.values():
        for username in members[1:]:
            set_supervisor(session, admin, username, members[0])
    return staff


def _training_csv(staff: dict[str, list[str]], today: dt.date, g: random.Random) -> bytes:
    """The learning system's export: each person's completions, current, expired or never taken."""
    rows = ["username,course,completed_on,source_system"]

    def add(user, course, days_ago):
        rows.append(f"{user},{course},{(today - dt.timedelta(days=days_ago)).isoformat()},demo LMS")

    for course in ("genai-responsible-use", "cui-basics", "ai-awareness", "privacy-awareness"):
        add("employee", course, 100)
        add("tsa.supervisor", course, 60)
    add("employee.lapsed", "genai-responsible-use", 400)  # lapsed 35 days ago: an escalation, a refused approval
    add("employee.lapsed", "cui-basics", 200)
    add("employee.lapsed", "ai-awareness", 30)
    for members in staff.values():
        for user in members:
            if user in ("tsa.supervisor", "employee", "employee.lapsed", "employee.new"):
                continue
            for course in ("ai-awareness", "privacy-awareness", "genai-responsible-use", "cui-basics"):
                r = g.random()
                if r < 0.6:
                    add(user, course, g.randrange(5, 350))  # current (the 12-month courses: expiring soon for some)
                elif r < 0.8:
                    add(user, course, g.randrange(380, 700))  # expired
    return ("\n".join(rows) + "\n").encode()


def load_genai(session: Session, settings: Settings, system: Actor, creds: dict) -> dict | None:
    """Load the GenAI demo (see the module's docstring); None when the catalog already holds a tool."""
    if session.scalar(select(func.count()).select_from(Tool)):
        return None
    g = random.Random(SEED)
    today = agency_today(settings)
    since = today - dt.timedelta(days=SINCE_DAYS)

    def who(username: str) -> Actor:
        return identity.actor_for(session, identity.get_user(session, username))

    caio, admin = who("caio"), who("admin")
    for key, name, cls, state, conditions, tos, course_ids in TOOLS:
        catalog.create_tool(session, caio, key, name, cls, today=since, tos_amendment=tos, course_ids=course_ids,
                            state=state, conditions=conditions)
    version = rules.publish_rules(session, caio, "Rules of behavior for generative AI tools", RULES_TEXT).version
    staff = _people(session, settings, admin, creds, g)
    training.import_completions(session, who("training"), _training_csv(staff, today, g), today)
    holders = _grants(session, staff, version, today, who)
    _requests(session, staff, version, today, who)
    suspended = catalog.set_state(session, caio, REVOKED[0], "revoked", today, REVOKED[1], today,
                                  getattr(settings, "base_url", "") or "")["suspended"]
    screened = _prompts(session, settings, staff, holders, today, who, g)
    return {"grants": len(holders), "suspended": len(suspended), "screened": screened}


def _grants(session, staff, version, today, who) -> list[tuple[str, str]]:
    """Grants approved by each person's supervisor when the courses were current: the demo employee's DHSChat and
    ChatGPT, and DHSChat or Copilot for every other person of the workforce whose courses allow it, approved over
    the year (one close to its yearly re-attestation)."""
    wanted = [("employee", "dhschat", 90), ("employee", "chatgpt", 20)]
    for unit, members in staff.items():
        for i, user in enumerate(members[4:] if unit == "TSA" else members[1:]):
            if i % 2 == 0:
                wanted.append((user, "dhschat" if i % 4 == 0 else "copilot-bing", (3, 40, 120, 200, 345)[(i // 2) % 5]))
    holders = []
    for user, tool_key, days_ago in wanted:
        day, actor = today - dt.timedelta(days=days_ago), who(user)
        if rules.acknowledged_version(session, actor.user_id) is None:
            rules.acknowledge(session, actor, version, "demo: password re-entered")
        if access.blockers(session, actor.user_id, catalog.get_tool(session, tool_key), day):
            continue  # a course not current on that day: no grant
        purpose = ("Summarising internal case notes and drafting correspondence" if tool_key == "dhschat"
                   else "Drafting public web content")
        req = access.request_access(session, actor, tool_key, purpose, day)
        access.decide(session, who(supervisor_of(session, actor.user_id).username), req.id, True,
                      "approved for the stated purpose", day)
        holders.append((user, tool_key))
    return holders


def _requests(session, staff, version, today, who) -> None:
    """Requests waiting for the TSA supervisor: a lapsed course, a new employee, two of the workforce."""
    waiting = [("employee.lapsed", "dhschat", "Summarising screening incident reports for the weekly brief"),
               ("employee.new", "chatgpt", "Drafting public announcements about checkpoint hours"),
               (staff["TSA"][4], "claude", "Plain-language rewrites of public travel guidance"),
               (staff["TSA"][5], "dhschat", "Summarising internal training feedback")]
    for user, tool_key, purpose in waiting:
        actor = who(user)
        if user != "employee.new" and rules.acknowledged_version(session, actor.user_id) is None:
            rules.acknowledge(session, actor, version, "demo: password re-entered")
        access.request_access(session, actor, tool_key, purpose, today - dt.timedelta(days=2))


def _prompts(session, settings, staff, holders, today, who, g: random.Random) -> int:
    """200 prompts through the guard service (the screen page's and API's path) by people of the workforce for a
    tool or none, and 100 through the gateway's rules by holders of usable grants (usage counted)."""
    people = {u: who(u) for members in staff.values() for u in members}
    names = sorted(people)
    for _ in range(200):
        guard.screen(session, people[g.choice(names)], prompt(g), g.choice((None, "chatgpt", "claude", "dhschat")),
                     settings)
    actors = {u: who(u) for u in {u for u, _ in holders}}
    tools = {t: catalog.get_tool(session, t) for t in {t for _, t in holders}}
    usable = [(u, t) for u, t in holders if access.check(session, actors[u].user_id, tools[t], today).allowed]
    done = 200
    for _ in range(100 if usable else 0):  # the gateway's access rule (access.check) allowed each
        user, tool_key = g.choice(usable)
        actor, tool = actors[user], tools[tool_key]
        screened = gateway.screen_request(session, actor, tool, {"model": tool_key, "messages": [
            {"role": "user", "content": prompt(g)}]}, settings)
        gateway.count_usage(session, actor.user_id, tool.id, today, blocked=screened.decision == "block")
        done += 1
    return done
