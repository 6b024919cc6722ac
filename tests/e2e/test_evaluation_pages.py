"""The T&E page in Chromium, axe-clean: a T&E engineer uploads a small CSV of comparison scores for a
face-recognition use case, sees the per-group result table and the link to the PDF report stored as the
use case's bias test; a file with a missing column is refused naming the column."""

from __future__ import annotations

import pytest

from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.e2e.test_foundation_pages import assert_accessible, sign_in
from tests.governance.test_governance_service import FR


def _scores_csv(path):
    rows = ["score,genuine,grp,subj"]
    for i in range(400):
        genuine = i % 3 == 0
        rows.append(f"{(i % 10) / 10 + (0.5 if genuine else 0):.3f},{int(genuine)},{'ab'[i % 2]},{i // 4}")
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_te_engineer_runs_and_attaches(page, live, db, settings, make_user, actor_of, backend, tmp_path):
    make_user("cbp.owner", "submitter@CBP")
    make_user("the.caio", "caio")
    make_user("cbp.tester", "te_engineer@CBP")
    owner, caio = actor_of("cbp.owner"), actor_of("the.caio")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, owner, component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, owner, bid)
    with db.transaction() as s:
        policy.screen_use_case(s, owner, bid)
        policy.decide(s, caio, bid, "high-impact", "face recognition")
        gov.sync(s, owner, bid)
    csv = _scores_csv(tmp_path / "scores.csv")

    sign_in(page, "cbp.tester")
    page.get_by_role("link", name="T&E").first.click()
    page.get_by_role("heading", name="Test and evaluation").wait_for()
    assert "No runs yet." in page.content()
    assert_accessible(page, "/evaluation")

    # the form shows only the chosen kind's fields (a kind chosen first; no script)
    page.get_by_role("link", name="Classifier fairness").click()
    assert page.get_by_label("True label column (0/1)").count() == 1 and page.get_by_label("Score column").count() == 0
    page.get_by_role("link", name="Biometric demographic differentials").click()
    assert page.get_by_label("Score column").count() == 1 and page.get_by_label("True label column (0/1)").count() == 0

    # a missing column is refused, naming it and listing the file's columns
    page.locator("#f-file").set_input_files(str(csv))
    page.get_by_label("Group column(s)").fill("grp")
    page.get_by_label("Score column").fill("similarity")
    page.get_by_label("Genuine column").fill("genuine")
    page.get_by_label("Threshold", exact=True).fill("0.75")
    page.get_by_role("button", name="Run the evaluation").click()
    alert = page.get_by_role("alert").first
    alert.wait_for()
    assert "similarity" in alert.inner_text()
    assert "The file's columns are: score, genuine, grp, subj." in alert.inner_text()
    assert_accessible(page, "/evaluation with an error")

    # the run for the use case
    page.locator("#f-file").set_input_files(str(csv))
    page.get_by_label("Score column").fill("score")
    page.get_by_label("Subject id column (optional)").fill("subj")
    page.get_by_label("Criterion: FMR max/min ratio at most (optional)").fill("10")
    page.get_by_label("Use case to attach the report to (optional)").fill(bid)
    page.get_by_role("button", name="Run the evaluation").click()
    page.get_by_role("heading", name="Evaluation run 2: Biometric demographic differentials").wait_for()
    assert page.get_by_role("heading", name="Passed its criteria: 1 of 1 met").is_visible()
    assert page.locator("#outcome.usa-alert--success").count() == 1
    assert page.get_by_role("img", name="False match rate (FMR) by group").count() == 1  # the chart, and its table:
    assert page.get_by_role("table", name="Data for the chart: False match rate (FMR) by group").count() == 1
    assert "attached to the use case" in page.get_by_role("status").first.inner_text()
    table = page.get_by_role("table", name="FMR and FNMR by group, with 95% intervals")
    assert table.get_by_role("rowheader", name="grp=a").count() == 1
    assert table.get_by_role("rowheader", name="grp=b").count() == 1
    link = page.get_by_role("link", name="Download the PDF report (evidence")
    href = link.get_attribute("href")
    assert href.startswith("/evidence/") and href.endswith("/download")
    assert page.get_by_role("table", name="Criteria").get_by_text("pass").count() >= 1
    assert_accessible(page, "the run page")
    resp = page.request.get(href)
    assert resp.status == 200 and resp.body().startswith(b"%PDF")

    page.get_by_role("link", name="Test and evaluation").click()
    runs = page.get_by_role("table", name="The newest evaluation runs you may read")
    assert runs.get_by_role("link", name=bid).count() == 1
    assert "could not finish" in runs.inner_text().lower()
    assert_accessible(page, "/evaluation with runs")

    # a run that fails its criteria says so first, in red, naming the criterion, its value and its limit
    page.locator("#f-file").set_input_files(str(csv))
    page.get_by_label("Group column(s)").fill("grp")
    page.get_by_label("Score column").fill("score")
    page.get_by_label("Genuine column").fill("genuine")
    page.get_by_label("Threshold", exact=True).fill("0.75")
    page.get_by_label("Criterion: FMR max/min ratio at most (optional)").fill("1.01")
    page.get_by_role("button", name="Run the evaluation").click()
    page.get_by_role("heading", name="Evaluation run 3: Biometric demographic differentials").wait_for()
    banner = page.locator("#outcome")
    assert "usa-alert--error" in banner.get_attribute("class") and "usa-alert--success" not in banner.get_attribute("class")
    assert banner.get_by_role("heading").inner_text() == "Failed its criteria: 1 of 1 not met"
    assert "FMR max/min ratio: 1.038, outside its limit of 1.01" in banner.inner_text()
    assert page.locator(".usa-alert--success").count() == 0
    assert_accessible(page, "a run that failed its criteria")
    with db.transaction() as s:
        assert "bias_test_missing" not in {r["code"] for r in gov.authorization(s, caio, bid).reasons}
