"""A teacher in the console: link a course (candidates best first, the roster report before
confirming), preview, export with live progress to the end, the unmatched student's error with its
hint, retry failures, resync; the district overview; exports switched off by the admin."""

from __future__ import annotations

import re

from sisbridge.sandbox import seed

from .conftest import ADA, ADMIN, ALGEBRA, GEOMETRY, TABLET, Console, config_override, playwright_expect

expect = playwright_expect()

OUTSIDER = seed.OUTSIDER.google_email


def test_a_teacher_links_previews_and_exports_a_course(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    # Slow SIS writes and fast polling, so the progress bar is seen moving.
    stack.knobs(latency_ms=120)
    page.route("**/config.js", config_override(pollIntervalMs=100))
    console.sign_in_as_teacher()

    courses = page.locator("table tbody tr")
    expect(courses).to_have_count(2)
    algebra = courses.filter(has_text=ALGEBRA.title)
    expect(algebra).to_contain_text("Not linked")
    console.shot("teacher-courses")
    assert console.low_contrast() == []

    # Link: the candidates, best match first and chosen, then the roster report before confirming.
    algebra.get_by_role("link", name=f"Link {ALGEBRA.title}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ALGEBRA.title)
    candidates = page.locator(".candidate")
    expect(candidates).to_have_count(2)
    expect(candidates.first).to_contain_text(ALGEBRA.title)
    expect(candidates.first).to_contain_text("Best match")
    expect(candidates.first.get_by_role("radio")).to_be_checked()
    expect(candidates.nth(1)).to_contain_text(GEOMETRY.title)
    console.shot("teacher-link-candidates")

    page.get_by_role("button", name="Review roster match").click()
    expect(page.get_by_role("heading", name="Roster match")).to_be_visible()
    roster = page.locator(".roster")
    expect(roster).to_contain_text("11 matched by email")
    expect(roster).to_contain_text("1 only in Classroom")
    expect(roster.locator(".callout.warn")).to_contain_text(OUTSIDER)
    console.shot("teacher-roster-report")
    page.get_by_role("button", name="Confirm link").click()
    expect(page.get_by_role("region", name="SIS class")).to_contain_text(f"Grades export to {ALGEBRA.title}")

    # Preview: what an export would do, old → new, without writing.
    page.get_by_role("button", name="Preview").click()
    plan = page.locator(".plan")
    expect(plan.locator("ul.counts")).to_contain_text("Assignments: 4 to create")
    rows = plan.locator("table tbody tr")
    expect(rows).to_have_count(38)
    expect(rows.first).to_contain_text("Create")
    expect(rows.first).to_contain_text("Algebra I Homework 1")
    expect(plan.locator("tr", has_text="liam.cohen1@district.example").first).to_contain_text("score")
    expect(plan).to_contain_text(f"Students without an SIS match: {OUTSIDER}")
    console.shot("teacher-preview")
    assert stack.call("GET", f"/export/courses/{ALGEBRA.classroom_course_id}/exports", ADA)["runs"] == []

    # Export now: the progress bar moves, then the run finishes with the outsider's error.
    page.get_by_role("button", name="Export now").click()
    progress = page.locator("#export-progress-text")
    expect(progress).to_have_text(re.compile(r"^Exporting: ([1-9]|[12]\d|3[0-7]) of 38 items$"))
    bar = page.get_by_role("progressbar", name="Export progress")
    assert 0 < float(bar.get_attribute("value") or 0) < 38
    console.shot("teacher-export-progress")
    panel = page.locator(".progress-panel")
    expect(panel).to_have_attribute("data-state", "partial", timeout=30_000)
    expect(panel).to_contain_text("38 of 38 items sent.")
    expect(bar).to_have_attribute("value", "38")

    history = page.get_by_role("region", name="Export history")
    expect(history.locator("tr[data-run-id]")).to_have_count(1)
    errors = history.locator(".run-error")
    expect(errors.first).to_contain_text(f"No student of the SIS class has the email {OUTSIDER}.")
    expect(errors.first.locator(".error-hint")).to_have_text(
        "How to fix: Add the student to the SIS class, or make their SIS email match their Google account.")
    expect(errors.first).to_contain_text("Item: Algebra I Homework 1")
    console.shot("teacher-export-errors")
    assert console.low_contrast() == []

    # Retry failures: a new export; the ledger makes it write nothing the SIS already has.
    stack.knobs(latency_ms=0)
    history.get_by_role("button", name="Retry failures").click()
    expect(history.locator("tr[data-run-id]")).to_have_count(2)
    latest = history.locator("tr[data-run-id]").first
    expect(latest).to_have_attribute("data-state", "partial")
    expect(latest.locator(".run-counts")).to_have_text("38 unchanged, 6 skipped")

    # Resync (full): after a confirmation, everything is rewritten in place, nothing duplicated.
    page.get_by_role("button", name="Resync (full)").click()
    page.get_by_role("dialog", name="Resync every item?").get_by_role("button", name="Resync").click()
    expect(history.locator("tr[data-run-id]")).to_have_count(3)
    resync = history.locator("tr[data-run-id]").first
    expect(resync.locator(".run-counts")).to_have_text("38 updated, 6 skipped")
    expect(resync).to_contain_text("Full resync")

    page.set_viewport_size(TABLET)
    console.shot("teacher-course-tablet")
    page.get_by_role("link", name="My courses").first.click()
    expect(page.locator("table tbody tr").filter(has_text=ALGEBRA.title)).to_contain_text("Partly failed")
    console.shot("teacher-courses-tablet")


def test_the_district_overview_lists_failing_classes_first(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    assert stack.link_and_export(GEOMETRY)["state"] == "succeeded"
    assert stack.link_and_export(ALGEBRA)["state"] == "partial"  # the outsider
    console.sign_in_as_admin()
    page.get_by_role("link", name="District overview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("District overview")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(ALGEBRA.title)
    expect(rows.first).to_contain_text("Partly failed")
    expect(rows.nth(1)).to_contain_text(GEOMETRY.title)
    expect(rows.nth(1)).to_contain_text("Succeeded")
    expect(page.get_by_role("status").filter(has_text="need attention")).to_have_text(
        "1 of 2 linked classes need attention.")
    console.shot("admin-overview")
    assert console.low_contrast() == []


def test_exports_switched_off_show_the_reason_and_the_fix(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    stack.link_and_export(GEOMETRY)
    stack.call("PUT", "/connect/permissions", ADMIN, {"teacher_export_enabled": False})
    console.sign_in_as_teacher()
    geometry = page.locator("table tbody tr").filter(has_text=GEOMETRY.title)
    geometry.get_by_role("link", name=re.compile("^Export")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GEOMETRY.title)
    page.get_by_role("button", name="Export now").click()
    error = page.get_by_role("region", name="Export grades").get_by_role("alert")
    expect(error).to_contain_text("Code: exports_disabled")
    expect(error.locator(".error-hint")).to_contain_text("How to fix:")
    console.shot("teacher-exports-disabled")
