"""An admin in the console: connect the sandbox SIS, a wrong secret rejected with its hint next to
the field, authorize, teacher permissions off and on, the webhook secret, partners, audit log,
disconnect; and the same by keyboard."""

from __future__ import annotations

import re

from sisbridge.sandbox import seed

from .conftest import ADMIN, Console, playwright_expect

expect = playwright_expect()

WRONG_SECRET = "not-the-sandbox-secret-code"


def test_an_admin_connects_the_sandbox_sis_and_sets_permissions(console: Console) -> None:
    page, stack = console.page, console.stack
    console.open()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    console.shot("sign-in")
    assert console.low_contrast() == []

    console.sign_in_as_admin()
    expect(page.locator("#connection-status")).to_have_text("Not connected")
    page.get_by_role("radio", name=re.compile("^Infinite Campus")).check()
    vendor = page.locator(".vendor")
    expect(vendor.get_by_role("heading")).to_have_text("Getting credentials from Infinite Campus")
    expect(vendor.locator("ol.steps li")).to_have_count(4)
    expect(vendor).to_contain_text("Generate New OneRoster Credentials")
    # Local mode: the sandbox's host URL and credentials are pre-filled.
    host, key = page.get_by_label("Host URL"), page.get_by_label("Access key")
    secret = page.get_by_label("Secret code")
    expect(host).to_have_value(f"{stack.sandbox_url}/infinite_campus")
    expect(key).to_have_value(seed.ACCESS_KEY)
    expect(secret).to_have_attribute("type", "password")
    console.shot("admin-sis-setup")

    # A wrong secret: saved, then refused by the live check, its hint shown next to the secret.
    secret.fill(WRONG_SECRET)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#connection-status")).to_have_text("Connected, not authorized")
    expect(secret).to_have_value("")  # never echoed back
    page.get_by_role("button", name="Authorize").click()
    secret_field = page.locator('.field[data-field="secret_code"]')
    expect(secret_field.locator(".error-message")).to_contain_text("refused the access key or secret")
    expect(secret_field.locator(".error-hint")).to_contain_text("Check the access key and secret code")
    expect(secret).to_have_attribute("aria-invalid", "true")
    expect(page.locator("ol.checks li.failed").first).to_contain_text("Sign-in (token)")
    expect(page.locator("#connection-status")).to_have_text("Error")
    assert WRONG_SECRET not in page.content()
    console.shot("admin-sis-rejected")

    secret.fill(seed.SECRET_CODE)
    page.get_by_role("button", name="Connect").click()
    expect(page.locator("#connection-status")).to_have_text("Connected, not authorized")
    expect(secret_field).not_to_have_class(re.compile("has-error"))
    page.get_by_role("button", name="Authorize").click()
    expect(page.locator("#connection-status")).to_have_text("Authorized")
    result = page.locator(".checks-out")
    expect(result).to_contain_text("Authorized.")
    expect(result.locator("ol.checks li.ok")).to_have_count(4)
    expect(page.get_by_text("Not vendor-hosted")).to_be_visible()
    assert seed.SECRET_CODE not in page.locator(".card").first.inner_text()  # the status card masks it
    console.shot("admin-sis-authorized")
    assert console.low_contrast() == []

    # Teacher permissions: off (with the warning), then on again.
    enabled = page.get_by_label("Enable classwork and grade exporting")
    expect(enabled).to_be_checked()
    enabled.uncheck()
    warning = page.locator("#permissions-warning")
    expect(warning).to_contain_text("Unchecking stops teachers linking and exporting")
    expect(warning).to_have_class(re.compile("warn"))
    permissions = page.get_by_role("region", name="Teacher permissions")
    permissions.get_by_role("button", name="Save").click()
    expect(permissions.get_by_role("status")).to_have_text("Saved: teacher exports are off.")
    assert stack.call("GET", "/connect", ADMIN)["teacher_export_enabled"] is False
    console.shot("admin-permissions-off")
    enabled.check()
    permissions.get_by_role("button", name="Save").click()
    expect(permissions.get_by_role("status")).to_have_text(
        "Saved: teachers can link courses and export grades.")
    assert stack.call("GET", "/connect", ADMIN)["teacher_export_enabled"] is True

    # The webhook secret is shown once, after a confirmation.
    page.get_by_role("button", name="Rotate webhook secret").click()
    dialog = page.get_by_role("dialog", name="Rotate the webhook secret?")
    dialog.get_by_role("button", name="Rotate").click()
    shown = page.get_by_label("New webhook secret (shown once)")
    expect(shown).to_have_value(re.compile(r"^whsec_"))
    expect(shown).to_be_focused()


def test_partners_and_the_audit_log(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    stack.call("PUT", "/connect/permissions", ADMIN, {"teacher_export_enabled": False})
    console.sign_in_as_admin()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Partners").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("SIS partners")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(7)
    expect(rows.filter(has_text="Infinite Campus")).to_contain_text("Google partner")
    expect(rows.filter(has_text="Aeries")).to_contain_text("Not listed")
    console.shot("admin-partners")
    assert console.low_contrast() == []

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    events = page.locator("table tbody tr")
    expect(events.first).to_contain_text("Changed teacher permissions")
    expect(events.first).to_contain_text("teacher_export_enabled: true → false")
    expect(events.filter(has_text="Authorized the SIS")).to_have_count(1)
    expect(events.filter(has_text="Connected the SIS")).to_have_count(1)
    console.shot("admin-audit")


def test_an_admin_disconnects_after_the_confirmation(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    console.sign_in_as_admin()
    expect(page.locator("#connection-status")).to_have_text("Authorized")

    remove = page.get_by_role("button", name="Remove")
    remove.click()
    dialog = page.get_by_role("dialog", name="Disconnect Infinite Campus?")
    expect(dialog).to_contain_text("Exports stop.")
    expect(dialog).to_contain_text("Exported data stays.")
    expect(dialog).to_contain_text("Reconnecting later will not duplicate grades.")
    console.shot("admin-disconnect-dialog", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    assert stack.has_credentials()

    remove.click()
    page.get_by_role("dialog").get_by_role("button", name="Disconnect").click()
    expect(page.locator("#connection-status")).to_have_text("Disconnected")
    expect(page.get_by_role("button", name="Remove")).to_be_disabled()
    assert not stack.has_credentials()
    console.shot("admin-disconnected")


def test_the_admin_pages_work_by_keyboard(console: Console) -> None:
    page, stack = console.page, console.stack
    stack.connect()
    console.open("/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.get_by_role("button", name="Sign in as the district admin").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_focused()  # each page moves focus to its title

    # The SIS choice is a native radio group: arrow keys move the choice and the instructions follow.
    campus = page.get_by_role("radio", name=re.compile("^Infinite Campus"))
    expect(campus).to_be_checked()
    campus.focus()
    page.keyboard.press("ArrowRight")
    expect(page.get_by_role("radio", name=re.compile("^Skyward"))).to_be_checked()
    expect(page.locator(".vendor h3")).to_have_text("Getting credentials from Skyward (SMS 2.0 and Qmlativ)")
    outline = page.evaluate("getComputedStyle(document.activeElement.nextElementSibling).outlineStyle")
    assert outline != "none", "the focused SIS choice shows no focus ring"

    # The confirmation dialog: focus starts on Cancel, Escape closes it, focus returns to Remove.
    remove = page.get_by_role("button", name="Remove")
    remove.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(remove).to_be_focused()
    assert stack.has_credentials()
