"""The cloud sign-in: Google Identity Services' button, and its ID token handed to the API as the
bearer. GIS's script is stubbed (no network in tests); the token is minted by the local keys the
stack trusts, standing in for Google's."""

from __future__ import annotations

import json

from .conftest import ADA, Console, config_override, playwright_expect

expect = playwright_expect()

CLIENT_ID = "1234567890-test.apps.googleusercontent.com"


def test_google_sign_in_hands_the_id_token_to_the_api(console: Console) -> None:
    page, stack = console.page, console.stack
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    page.route("**/config.js", config_override(signIn="google", googleClientId=CLIENT_ID))
    page.route("https://accounts.google.com/gsi/client", lambda route: route.fulfill(
        status=200, content_type="text/javascript", body=GIS_STUB))
    # What Google would hand back: an ID token for Ada (minted by the stack's local keys here).
    page.add_init_script(f"window.__testCredential = {json.dumps(stack.token(ADA))};")

    console.open()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    button = page.get_by_role("button", name="Sign in with Google")
    expect(button).to_be_visible()
    assert page.evaluate("window.__gis.clientId") == CLIENT_ID
    expect(page.get_by_role("button", name="Sign in as the district admin")).to_have_count(0)
    console.shot("sign-in-google")

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My courses")
    expect(page.locator("#account")).to_contain_text(ADA)
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert not [u for u in asked if "/local/" in u], "google mode must not call the local-only routes"

    console.sign_out()
    assert page.evaluate("window.__gis.autoSelectDisabled") is True


# Google Identity Services' surface the console uses, as a stub: initialize, renderButton,
# disableAutoSelect. Pressing the button hands the callback the credential the test planted.
GIS_STUB = """
window.__gis = { clientId: null, callback: null, autoSelectDisabled: false };
window.google = { accounts: { id: {
  initialize(config) { window.__gis.clientId = config.client_id; window.__gis.callback = config.callback; },
  renderButton(parent) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Sign in with Google";
    button.addEventListener("click",
      () => window.__gis.callback({ credential: window.__testCredential, select_by: "btn" }));
    parent.append(button);
  },
  disableAutoSelect() { window.__gis.autoSelectDisabled = true; },
  prompt() {},
} } };
"""
