"""Hand-written use cases for every presumption category of both OMB memos: one that must match
the category, and one (often a look-alike or a negation) that must not match it."""

import pytest

from raigov.policy.screen import screen


def uc25(text, name="Use case", topic="Other", outputs=""):
    return {"use_case_name": name, "topic_area": topic, "problem_solved": text, "benefits": "", "system_outputs": outputs}


def uc24(text, name="Use case", topic="Mission-Enabling"):
    return {"2_use_case_name": name, "8_topic_area": topic, "11_purpose_benefits": text, "12_outputs": ""}


M2521 = {
    "M-25-21.6(a)": ("The model adjusts traffic signal timing in real time to control traffic flow at intersections.",
                     "Summarizes public comments about transit fares for the policy office."),
    "M-25-21.6(b)": ("Navigation software steers an unmanned aerial vehicle along the border autonomously.",
                     "Robotic process automation bot copies invoice data between two finance systems."),
    "M-25-21.6(c)": ("Counter-UAS system that jams and disables hostile drones approaching a facility.",
                     "Summarizes lessons learned from tabletop exercises."),
    "M-25-21.6(d)": ("Predicts safe routing for the transport of hazardous materials by rail.",
                     "Classifies office supply purchase requests."),
    "M-25-21.6(e)": ("Analyzes inspection images to detect fatigue cracks in bridges before structural failure.",
                     "Recommends articles for the agency newsletter."),
    "M-25-21.6(f)": ("Reads chest images to help clinicians diagnose pneumonia in patients.",
                     "Answers employee questions about the health insurance enrollment portal hours."),
    "M-25-21.6(g)": ("Controls physical access to federal buildings by checking badges at entry gates.",
                     "Manages role-based access control lists for the HR database."),
    "M-25-21.6(h)": ("Flags shipments that may violate export controls or sanctions for enforcement review.",
                     "Exports the monthly report to Excel for the budget office."),
    "M-25-21.6(i)": ("Automatically removes posts containing hate speech from the agency's public comment site.",
                     "Drafts responses to congressional correspondence."),
    "M-25-21.6(j)": ("Matches photos of unknown subjects against mugshots to generate investigative leads "
                     "for criminal investigators.",
                     "Schedules meetings for the legal office."),
    "M-25-21.6(k)": ("Produces a risk score for visa applicants used in adjudicating their applications.",
                     "Books travel accommodation for staff attending conferences."),
    "M-25-21.6(l)": ("Live facial recognition scans crowds in public spaces to find people on a watchlist.",
                     "Counts the number of visitors to a public website."),
    "M-25-21.6(m)": ("Determines eligibility for disaster assistance applications and recommends denial of ineligible claims.",
                     "Expected benefits include faster report writing for analysts."),
    "M-25-21.6(n)": ("Ranks job applicants' resumes against the position's qualifications for hiring managers.",
                     "Generates first drafts of press releases."),
    "M-25-21.6(o)": ("Provides live speech translation between officers and travelers during interviews.",
                     "Translates business requirements into software user stories."),
}

M2410 = {
    "M-24-10.I(1)(a)": ("Controls water treatment plant chemical dosing valves.",
                        "Summarizes water rights case law for attorneys."),
    "M-24-10.I(1)(b)": ("Detects anomalies in voter registration rolls to maintain election integrity.",
                        "Drafts the agency's annual performance plan."),
    "M-24-10.I(1)(c)": ("Controls a robotic arm that moves packages in a mail processing workplace.",
                        "A software robot (robotic process automation) reconciles spreadsheets."),
    "M-24-10.I(1)(d)": ("Targeting software applies kinetic force through a counter-drone weapon system.",
                        "Forecasts electricity demand for budget planning."),
    "M-24-10.I(1)(e)": ("Self-driving shuttle vehicles move passengers around the campus.", "Transcribes meetings."),
    "M-24-10.I(1)(f)": ("Monitors the safety of biological agents stored in high-containment laboratories.",
                        "Tracks IT help-desk tickets."),
    "M-24-10.I(1)(g)": ("Controls industrial emissions from smokestacks at a federal plant.", "Writes meeting minutes."),
    "M-24-10.I(1)(h)": ("Plans the transport of hazardous waste to disposal sites.", "Sorts incoming email."),
    "M-24-10.I(1)(i)": ("Evaluates structural integrity of levees under design.", "Improves grammar of letters."),
    "M-24-10.I(1)(j)": ("Predicts suicide risk for veterans to flag patients for clinical intervention.",
                        "Summarizes the cafeteria's menu feedback."),
    "M-24-10.I(1)(k)": ("Detects concealed firearms in baggage X-ray images.", "Detects duplicate invoices."),
    "M-24-10.I(1)(l)": ("Decides whether to dispatch first responders based on 911 call audio.", "Manages the calendar."),
    "M-24-10.I(1)(m)": ("Controls physical access to the federal facility using badge readers.",
                        "Manages network access for the VPN."),
    "M-24-10.I(1)(n)": ("Identifies cargo shipments that evade sanctions for enforcement action.",
                        "Imports data files into the warehouse nightly."),
    "M-24-10.I(2)(a)": ("Hides misinformation posts on the agency's social media pages.", "Schedules social media posts."),
    "M-24-10.I(2)(b)": ("Predicts recidivism to inform parole decisions.", "Catalogs law library books."),
    "M-24-10.I(2)(c)": ("Provides risk assessments for asylum seekers' detention status.", "Plans staff travel routes."),
    "M-24-10.I(2)(d)": ("Uses face recognition in crowds at public events to identify individuals one-to-many.",
                        "Unlocks an employee's phone."),
    "M-24-10.I(2)(e)": ("Detects deception in interview video from facial expressions.",
                        "Edits interview transcripts for typos."),
    "M-24-10.I(2)(f)": ("Creates a synthetic voice clone of a spokesperson for announcements.", "Reads web pages aloud."),
    "M-24-10.I(2)(g)": ("Detects plagiarism in student essays for academic discipline.", "Formats the training calendar."),
    "M-24-10.I(2)(h)": ("Screens tenants applying for public housing.", "Tracks office space utilization."),
    "M-24-10.I(2)(i)": ("Recommends disciplinary action for employee misconduct cases.", "Drafts the staff newsletter."),
    "M-24-10.I(2)(j)": ("Supports medical diagnosis of skin cancer from patient photos.", "Orders printer toner."),
    "M-24-10.I(2)(k)": ("Computes credit scores for small business loan applicants.", "Forecasts the weather."),
    "M-24-10.I(2)(l)": ("Detects fraudulent claims for unemployment insurance benefits.",
                        "Expected benefits include saved time."),
    "M-24-10.I(2)(m)": ("Machine translation of official notices sent to applicants in Spanish.",
                        "Translates ideas into action plans."),
    "M-24-10.I(2)(n)": ("Recommends child protective actions in foster care cases.", "Summarizes grant reports."),
}


@pytest.mark.parametrize("item", sorted(M2521))
def test_m2521_category_positive(m2521, item):
    r = screen(uc25(M2521[item][0]), m2521)
    assert item in [c.item for c in r.categories], r.as_dict(trace=False)["categories"]
    assert r.presumed
    ev = [e for e in r.evidence if e.item == item]
    assert ev and all(e.field and e.text for e in ev)


@pytest.mark.parametrize("item", sorted(M2521))
def test_m2521_category_negative(m2521, item):
    r = screen(uc25(M2521[item][1]), m2521)
    assert item not in [c.item for c in r.categories], r.as_dict(trace=False)["categories"]


@pytest.mark.parametrize("item", sorted(M2410))
def test_m2410_category_positive(m2410, item):
    r = screen(uc24(M2410[item][0]), m2410)
    assert item in [c.item for c in r.categories], [c.item for c in r.categories]
    impact = "safety" if "I(1)" in item else "rights"
    assert impact in r.impacts


@pytest.mark.parametrize("item", sorted(M2410))
def test_m2410_category_negative(m2410, item):
    r = screen(uc24(M2410[item][1]), m2410)
    assert item not in [c.item for c in r.categories], [c.item for c in r.categories]


def test_every_category_has_a_case(m2521, m2410):
    assert {i.id for i in m2521.items_of("presumption")} == set(M2521)
    assert {i.id for i in m2410.items_of("presumption")} == set(M2410)


def test_negation_face_recognition(m2521):
    pos = screen(uc25("Uses facial recognition to identify individuals in crowds in public spaces."), m2521)
    assert "M-25-21.6(l)" in [c.item for c in pos.categories]
    neg = screen(uc25("The tool does not use facial recognition; it counts crowds in public spaces."), m2521)
    assert "M-25-21.6(l)" not in [c.item for c in neg.categories]
    # the negated words show in the trace
    tr = next(t for t in neg.trace if t.item == "M-25-21.6(l)")
    assert tr.result is False


def test_no_categories_for_plain_admin_use(m2521, m2410):
    r = screen(uc25("Summarizes long reports and drafts emails for staff.", name="Writing assistant"), m2521)
    assert not r.presumed and r.categories == [] and r.practices == []
    r = screen(uc24("Summarizes long reports and drafts emails for staff."), m2410)
    assert not r.presumed


def test_practices_follow_presumption(m2521, m2410):
    r = screen(uc25(M2521["M-25-21.6(j)"][0], topic="Law Enforcement"), m2521)
    assert {p.item for p in r.practices} == {i.id for i in m2521.items_of("practice")}
    assert "M-25-21.4(a).determination" in [f.item for f in r.reviews]
    # rights-only practices only for rights categories under M-24-10
    s = screen(uc24(M2410["M-24-10.I(1)(g)"][0]), m2410)
    assert s.impacts == ["safety"]
    assert not any(p.item.startswith("M-24-10.5(c)(v)") for p in s.practices)
    rr = screen(uc24(M2410["M-24-10.I(2)(h)"][0]), m2410)
    assert any(p.item == "M-24-10.5(c)(v)(F)" for p in rr.practices)


def test_opt_out_not_required_for_fraud(m2410):
    r = screen(uc24("Detects fraudulent claims for unemployment insurance benefits."), m2410)
    assert r.presumed
    assert "M-24-10.5(c)(v)(F)" not in [p.item for p in r.practices]


def test_exclusions_use_explicit_answers(m2521):
    v = uc25(M2521["M-25-21.6(j)"][0], topic="Law Enforcement")
    v["raigov.nss_component"] = True
    r = screen(v, m2521)
    assert r.out_of_scope and not r.presumed and r.categories  # categories still shown, not presumed
    assert [e.item for e in r.exclusions] == ["M-25-21.1(c)"]
    v = uc25(M2521["M-25-21.6(j)"][0], topic="Law Enforcement")
    v.update({"development_stage": "Pilot", "raigov.pilot_limited": True, "raigov.pilot_caio_certified": True,
              "raigov.pilot_opt_in_out": True, "raigov.pilot_practices_where_practicable": True})
    r = screen(v, m2521)
    assert r.presumed and r.practices == [] and "M-25-21.4(a)(i).pilot" in [e.item for e in r.exclusions]
    v["raigov.pilot_caio_certified"] = False
    assert screen(v, m2521).practices


def test_trace_covers_every_item(m2521):
    r = screen(uc25(M2521["M-25-21.6(o)"][0]), m2521)
    assert {t.item for t in r.trace} == {i.id for i in m2521.items}
    t = next(t for t in r.trace if t.item == "M-25-21.6(o)")

    def nodes(n):
        yield n
        for c in n.get("children", ()):
            yield from nodes(c)

    sig = {n.get("signal"): n for n in nodes(t.tree) if n["op"] == "signal"}
    assert t.result and sig["translation"]["result"] and sig["translation"]["hits"][0]["field"] == "problem_solved"
    # 1.2.0: a translation is presumed only when it informs a decision or action (here: officers' interviews)
    assert sig["translation_decision"]["result"]
    assert {h["text"].lower() for h in sig["translation_decision"]["hits"]} >= {"officers", "interviews"}


# ---- omb-m-25-21@1.2.0: categories read whole (the AI's function, not a word in passing), and 2024-format rows
V12 = [
    # (item, fields, presumed under that item?)
    ("M-25-21.6(b)", uc25("Classifies vegetation in imagery collected by drones over rangeland."), False),
    ("M-25-21.6(b)", uc25("The model navigates the drone autonomously around obstacles during bridge inspections."), True),
    ("M-25-21.6(h)", uc25("It is important to identify the most relevant research articles."), False),
    ("M-25-21.6(h)", uc25("Screens imported cargo shipments for customs violations for enforcement review."), True),
    ("M-25-21.6(i)", uc25("Tracks trends in health misinformation on social media for a research report."), False),
    ("M-25-21.6(i)", uc25("Flags and removes misinformation posted on the agency's public forum."), True),
    ("M-25-21.6(o)", uc25("Machine translation of published web pages for staff reading."), False),
    ("M-25-21.6(o)", uc25("Machine translation of foreign language documents to support review of evidence."), True),
    ("M-25-21.6(e)", uc25("Predictive maintenance of data-center servers to reduce downtime."), False),
    ("M-25-21.6(e)", uc25("Predictive maintenance of aircraft engines to prevent in-flight failures."), True),
    ("M-25-21.6(a)", uc25("Orchestrates data pipelines for the reporting warehouse with high reliability."), False),
    ("M-25-21.6(a)", uc25("Detects leaks in drinking water systems before a contamination incident."), True),
    ("M-25-21.6(a)", uc25("Classifies environment, safety and health (ES&H) incident reports at the laboratory."), True),
    ("M-25-21.6(m)",
     uc25("Scores disability cases by the likelihood of medical improvement and flags them for a continuing disability review."),
         True),
    ("M-25-21.6(n)", uc25("Scores applicants' essays to support employment decisions."), True),
    ("M-25-21.6(n)", uc25("Dictation software used as a reasonable accommodation for an employee."), False),
    ("M-25-21.6(f)", uc25("Measures wounds from 3D images for the care team.", topic="Health and Medical"), True),
    ("M-25-21.6(f)", uc25("Forecasts influenza outbreaks from surveillance data."), False),
    ("M-25-21.6(f)", uc24("Interprets ECG tracings for clinicians.", topic="Health & Medical"), True),
    ("M-25-21.6(a)", uc24("Controls traffic signal timing at intersections."), True),
    ("M-25-21.6(a)", uc25("Predicts equipment faults in the power grid to prevent outages."), True),
    ("M-25-21.6(a)", uc25("Supports nuclear reactor operations by flagging abnormal sensor readings to operators."), True),
    ("M-25-21.6(a)", uc25("Prioritizes inspections of railroad track defects to prevent derailments."), True),
    ("M-25-21.6(a)", uc25("Forecasts streamflow below dams for a hydrology research paper."), False),
    ("M-25-21.6(d)", uc25("Monitors radiation levels at the site to protect workers."), True),
    ("M-25-21.6(m)", uc25("Verifies the identity of users signing in to the benefits portal with selfie matching."), True),
    ("M-25-21.6(m)", uc25("Identifies disability claims likely to be allowed so examiners can expedite the determination."),
     True),
    ("M-25-21.6(b)", uc25("Classifies satellite imagery of crops for yield statistics."), False),
]
V12_NOT_PRESUMED = ["Chatbot answers employees' questions about the travel policy.", "Generates code suggestions for developers.",
                    "Classifies satellite imagery of crops for yield statistics.",
                    "It is important to summarize the most relevant research articles for staff."]


@pytest.mark.parametrize("text", V12_NOT_PRESUMED)
def test_m2521_v12_everyday_uses_not_presumed(registry, text):
    r = screen(uc25(text), registry.get("omb-m-25-21@1.2.0"))
    assert not r.presumed, r.as_dict(trace=False)["categories"]


@pytest.mark.parametrize("item,fields,expected", V12, ids=[f"{i}-{e}-{n}" for n, (i, _, e) in enumerate(V12)])
def test_m2521_v12_reads_categories_whole(registry, item, fields, expected):
    r = screen(fields, registry.get("omb-m-25-21@1.2.0"))
    assert (item in [c.item for c in r.categories]) is expected, r.as_dict(trace=False)["categories"]


# ---- omb-m-25-21@1.4.0 (issue #18): §6(a)'s infrastructure words count with a safety-relevant function on them in the
# same clause (general sentences, not inventory rows; none of them holds safety_critical, so the narrowed signal decides)
INFRA_14 = [
    # (text, presumed under §6(a) by 1.3.0, by 1.4.0)
    ("Detects faults on the electric grid and recommends which breakers to open.", True, True),
    ("Warns the operator of a leak in the drinking water system.", True, True),
    ("Sets spillway gate openings during storms to keep the dam safe.", True, True),
    ("Predicts derailments on railway lines from track sensor data.", True, True),
    ("Flags outages in the power system to the dispatchers on shift.", True, True),
    # the object named as a setting, with a function word elsewhere: no longer enough
    ("Maps every dam in the state for a public website. Staff control who can edit the map.", True, False),
    ("Estimates drinking water use per household. Budget reliability improved.", True, False),
    # research, study and planning senses
    ("A research study of dam failures in the last century.", True, False),
    ("Summarizes historical highway crash statistics for a planning report.", True, False),
    ("Forecasts streamflow below dams for a hydrology research paper.", False, False),
]


@pytest.mark.parametrize("text,old,new", INFRA_14, ids=[f"{n}" for n in range(len(INFRA_14))])
def test_m2521_v14_infrastructure_needs_its_function_in_the_clause(registry, text, old, new):
    from raigov.policy.screen import Subject, signal_hits

    p13, p14 = registry.get("omb-m-25-21@1.3.0"), registry.get("omb-m-25-21@1.4.0")
    for pack, want in ((p13, old), (p14, new)):
        r = screen(uc25(text), pack)
        assert ("M-25-21.6(a)" in [c.item for c in r.categories]) is want, (pack.key, r.as_dict(trace=False)["categories"])
        assert not signal_hits(pack, Subject(uc25(text), "2025", pack.text_fields), "safety_critical")[0]
    # the 2024 form reads the same
    assert ("M-25-21.6(a)" in [c.item for c in screen(uc24(text), p14).categories]) is new


@pytest.mark.parametrize("item,fields,expected", V12, ids=[f"{i}-{e}-{n}" for n, (i, _, e) in enumerate(V12)])
def test_m2521_v14_keeps_the_v12_readings(registry, item, fields, expected):
    r = screen(fields, registry.get("omb-m-25-21@1.4.0"))
    assert (item in [c.item for c in r.categories]) is expected, r.as_dict(trace=False)["categories"]


@pytest.mark.parametrize("name,presumed", [("Levee inspection", True), ("Dam safety tracker", True),
                                           ("Power grid dashboard", True), ("Highway sign inventory", True),
                                           ("Drinking water", True), ("Meeting notes summarizer", False)])
def test_m2521_v14_short_rows_read_the_infrastructure_word_alone(registry, name, presumed):
    """A name alone cannot show a function: the object words decide there, as in 1.3.0 (short_infrastructure)."""
    for key in ("omb-m-25-21@1.3.0", "omb-m-25-21@1.4.0"):
        r = screen({"use_case_name": name}, registry.get(key), schema="2025", with_trace=False)
        assert ("M-25-21.6(a)" in [c.item for c in r.categories]) is presumed, (key, name)


# ---- omb-m-24-10@1.4.0 (issue #18): I(2)(k) finance reads a decision on a finance object (general sentences)
FINANCE_14 = [
    # (text, I(2)(k) under 1.3.0, under 1.4.0)
    ("Scores small business loan applications and recommends which to approve.", True, True),
    ("Selects individual tax returns for audit.", True, True),
    ("Decides which borrowers are approved for a loan.", True, True),
    ("Models which loan applications to deny.", True, True),
    ("Sets insurance premium pricing for each policyholder.", True, True),
    ("Recommends wage garnishment for delinquent debtors.", True, True),
    ("Withholds tax refunds from people who owe federal debts.", False, True),  # the memo's own example
    # a person noun, "priority", a statistic's "rates", a decision word in the next sentence: not a decision
    ("Helps auditors find loan records.", True, False),
    ("Sets the priority of taxpayer letters.", True, False),
    ("Charts debt levels and default rates by region.", True, False),
    ("Counts loans per county. Scores are published yearly.", True, False),
    ("Answers taxpayer questions about refund status.", False, False),
]


@pytest.mark.parametrize("text,old,new", FINANCE_14, ids=[f"{n}" for n in range(len(FINANCE_14))])
def test_m2410_v14_finance_reads_a_decision_on_a_finance_object(registry, text, old, new):
    for key, want in (("omb-m-24-10@1.3.0", old), ("omb-m-24-10@1.4.0", new)):
        pack = registry.get(key)
        for values in (uc24(text), uc25(text)):
            r = screen(values, pack)
            assert ("M-24-10.I(2)(k)" in [c.item for c in r.categories]) is want, (key, values)
