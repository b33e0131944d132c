// SIS setup (admins): choose the SIS, follow its credential steps, Connect, Authorize; teacher
// permissions; the webhook secret; Disconnect.
import { api } from "../api.js";
import {
  announce, badge, busy, clear, clearErrors, confirmDialog, errorBox, field, h, showError, stateBadge, timeEl,
} from "../dom.js";
import { authName, partnershipBadge } from "./admin-partners.js";

// Errors of the live check that belong to one field even though the API names none.
const FIELD_FOR_CODE = {
  sis_auth_rejected: "secret_code", sis_dns_failed: "host_url", sis_not_found: "host_url",
  sis_tls_failed: "host_url", sis_bad_response: "host_url", sis_unavailable: "host_url", sis_timeout: "host_url",
};
const CHECK_NAMES = { address: "Address", token: "Sign-in (token)", roster: "Roster read", gradebook: "Gradebook scope" };

export function render(app) {
  const page = new SisPage(app);
  return { element: page.element, title: "SIS connection", ready: page.load() };
}

class SisPage {
  constructor(app) {
    this.app = app;
    this.sandbox = app.localConfig?.sandbox || null;
    this.partners = [];
    this.connection = { status: "none" };
    this.statusCard = h("section", { class: "card", "aria-labelledby": "status-title" },
      h("h2", { id: "status-title" }, "Connection"), h("p", { class: "loading" }, "Loading…"));
    this.setup = h("section", { class: "card", "aria-labelledby": "setup-title" },
      h("h2", { id: "setup-title" }, "Set up the SIS"), h("p", { class: "loading" }, "Loading…"));
    this.permissions = h("section", { class: "card", "aria-labelledby": "permissions-title" });
    this.webhook = h("section", { class: "card", "aria-labelledby": "webhook-title" });
    this.danger = h("section", { class: "card danger-zone", "aria-labelledby": "disconnect-title" });
    this.element = h("section", { class: "page" },
      h("h1", {}, "SIS connection"),
      h("p", { class: "lead" }, "Connect your district's Student Information System so teachers can export ",
        "Google Classroom grades into it over OneRoster."),
      this.statusCard, this.setup, this.permissions, this.webhook, this.danger);
  }

  async load() {
    const [{ partners }, connection] = await Promise.all([api.partners(), api.connection()]);
    this.partners = partners;
    this.connection = connection;
    this.renderSetup();
    this.renderStatus();
    this.renderPermissions();
    this.renderWebhook();
    this.renderDisconnect();
  }

  async refresh({ showLastError = true } = {}) {
    this.connection = await api.connection();
    this.renderStatus({ showLastError });
    this.renderPermissions();
    this.renderDisconnect();
    this.updateAuthorizeButton();
  }

  get connected() {
    return !["none", "disconnected"].includes(this.connection.status);
  }

  // ---- status ---------------------------------------------------------------------------

  // The saved state. Live check results are listed under the Authorize button; the last error is
  // shown here unless it is already shown next to its field.
  renderStatus({ showLastError = true } = {}) {
    const c = this.connection;
    const rows = [];
    const row = (label, ...value) => rows.push(h("div", { class: "kv" }, h("dt", {}, label), h("dd", {}, ...value)));
    if (c.sis) {
      row("SIS", c.sis_name);
      row("Host URL", h("code", { class: "wrap" }, c.host_url));
      row("OneRoster", `${c.oneroster_version} · ${authName(c.auth_method)}`);
      if (c.token_url) row("Token URL", h("code", { class: "wrap" }, c.token_url));
      row("Access key", c.access_key ? h("code", {}, c.access_key) : "Not stored");
      row("Secret code", c.secret_code ? h("span", {}, h("code", {}, c.secret_code), " stored, never shown") : "Not stored");
      row("SaaS eligibility", saasBadge(c.saas_eligible), h("span", { class: "cell-note" }, c.saas_note));
      row("Teacher exports", c.teacher_export_enabled ? "On" : "Off");
      if (c.updated_at) row("Last change", timeEl(c.updated_at));
    }
    clear(this.statusCard,
      h("div", { class: "card-head" }, h("h2", { id: "status-title", tabindex: "-1" }, "Connection"),
        h("span", { id: "connection-status" }, stateBadge(c.status))),
      c.status === "none" ? h("p", {}, "No SIS is connected yet. Choose yours below and enter the credentials it issued.") : null,
      c.status === "disconnected" ? h("p", {}, "The SIS was disconnected: its credentials are deleted; links, export ",
        "history and the grades already in the SIS are kept. Connect it again below.") : null,
      c.status === "connected" ? h("p", {}, "Saved. Press Authorize to check the address, credentials and scopes live.") : null,
      rows.length ? h("dl", { class: "kvs" }, rows) : null,
      c.last_error && showLastError ? h("div", { class: "last-error" }, h("h3", {}, "Last error"), errorBox(c.last_error)) : null);
  }

  // ---- setup form --------------------------------------------------------------------------

  renderSetup() {
    const c = this.connection;
    const chosen = c.sis && this.connected ? c.sis : null;
    this.hostUrl = h("input", { type: "url", autocomplete: "off", spellcheck: "false", required: true });
    this.accessKey = h("input", { type: "text", autocomplete: "off", spellcheck: "false", required: true });
    this.secretCode = h("input", { type: "password", autocomplete: "new-password", required: true });
    this.tokenUrl = h("input", { type: "url", autocomplete: "off", spellcheck: "false" });
    this.authMethod = h("select", {});
    this.vendorPanel = h("div", { class: "vendor", "aria-live": "polite" });
    this.checksOut = h("div", { class: "checks-out" });
    this.connectButton = h("button", { type: "submit", class: "button primary" }, "Connect");
    this.authorizeButton = h("button", { type: "button", class: "button secondary" }, "Authorize");
    this.authorizeButton.addEventListener("click", () => this.authorize());

    const radios = h("div", { class: "sis-choices" }, this.partners.map((p) => {
      const id = `sis-${p.sis}`;
      return h("div", { class: "sis-choice" },
        h("input", { type: "radio", name: "sis", id, value: p.sis, checked: p.sis === chosen, required: true,
          onChange: () => this.chooseSis(p.sis) }),
        h("label", { for: id }, h("span", { class: "sis-name" }, p.name), partnershipBadge(p.partnership)));
    }));
    const sisFieldset = h("fieldset", { class: "field", dataset: { field: "sis" } },
      h("legend", {}, "Select your SIS"), radios, h("div", { class: "field-error", id: "sis-error" }));

    const sandboxNote = this.sandbox ? h("p", { class: "callout local" },
      h("strong", {}, "Local sandbox. "),
      "The host URL and the sandbox credentials are pre-filled: access key ", h("code", {}, this.sandbox.access_key),
      ", secret code ", h("code", {}, this.sandbox.secret_code), ". Choose any SIS, then Connect and Authorize.") : null;

    this.form = h("form", { class: "sis-form", novalidate: true },
      sandboxNote,
      sisFieldset,
      this.vendorPanel,
      h("div", { class: "form-grid" },
        field({ label: "Host URL", name: "host_url", control: this.hostUrl,
          help: "The SIS address, its application URL or its full OneRoster URL: sisbridge derives the rest." }),
        field({ label: "Access key", name: "access_key", control: this.accessKey,
          help: "Also called client ID or consumer key." }),
        field({ label: "Secret code", name: "secret_code", control: this.secretCode,
          help: "Also called client secret. Stored encrypted; never shown again." })),
      h("details", { class: "advanced" },
        h("summary", {}, "Advanced: token URL and sign-in method"),
        h("div", { class: "form-grid" },
          field({ label: "Token URL (optional)", name: "token_url", control: this.tokenUrl,
            help: "Only when your SIS issues OAuth 2 tokens somewhere other than the address sisbridge derives." }),
          field({ label: "Sign-in method", name: "auth_method", control: this.authMethod,
            help: "Leave on the SIS's default unless your SIS administrator says otherwise." }))),
      h("div", { class: "form-error" }),
      h("div", { class: "actions" }, this.connectButton, this.authorizeButton),
      this.checksOut);
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.connect(); });
    clear(this.setup, h("h2", { id: "setup-title" }, "Set up the SIS"), this.form);
    if (chosen) this.chooseSis(chosen, { host: c.host_url });
    else clear(this.vendorPanel, h("p", { class: "help" }, "Choose your SIS to see how to get its credentials."));
    this.updateAuthorizeButton();
    if (this.connected && c.checks?.length) {
      const at = c.checks[0].at;
      clear(this.checksOut, h("div", { class: `callout ${c.status === "authorized" ? "good" : "bad"}` },
        h("p", {}, h("strong", {}, "Last live check"), at ? [", ", timeEl(at)] : null, "."), checkList(c.checks)));
    }
  }

  chooseSis(sis, { host } = {}) {
    const p = this.partners.find((x) => x.sis === sis);
    if (!p) return;
    const radio = this.form.querySelector(`input[name="sis"][value="${sis}"]`);
    if (radio) radio.checked = true;
    clear(this.vendorPanel,
      h("h3", {}, `Getting credentials from ${p.name}`),
      h("p", {}, partnershipBadge(p.partnership), " ", p.status),
      p.licence ? h("p", {}, h("strong", {}, "Licence: "), p.licence) : null,
      h("ol", { class: "steps" }, p.credential_steps.map((step) => h("li", {}, step))),
      h("p", { class: "help" }, "Host URL example: ", h("code", { class: "wrap" }, p.host_url_example)),
      p.unknowns.length ? h("details", {}, h("summary", {}, `Not yet confirmed for ${p.name}`),
        h("ul", {}, p.unknowns.map((u) => h("li", {}, u)))) : null);
    this.hostUrl.placeholder = p.host_url_example;
    clear(this.authMethod, h("option", { value: "" }, `Default (${authName(p.auth_methods[0])})`),
      p.auth_methods.map((m) => h("option", { value: m }, authName(m))));
    if (this.sandbox) {
      this.hostUrl.value = this.sandbox.host_urls[sis] || "";
      this.tokenUrl.value = this.sandbox.token_urls[sis] || "";
      this.accessKey.value = this.sandbox.access_key;
      this.secretCode.value = this.sandbox.secret_code;
    } else if (host) {
      this.hostUrl.value = host;
    }
    if (!this.sandbox && this.connected && this.connection.sis === sis) {
      this.accessKey.placeholder = `Stored (${this.connection.access_key}); enter it again to change the connection`;
      this.secretCode.placeholder = "Stored; enter it again to change the connection";
    }
  }

  updateAuthorizeButton() {
    if (!this.authorizeButton) return;
    this.authorizeButton.disabled = !this.connected;
    this.authorizeButton.title = this.connected ? "" : "Connect first";
  }

  async connect() {
    clearErrors(this.form);
    clear(this.checksOut);
    const sis = this.form.querySelector('input[name="sis"]:checked')?.value;
    const body = {
      sis, host_url: this.hostUrl.value.trim(), access_key: this.accessKey.value.trim(), secret_code: this.secretCode.value,
    };
    if (this.tokenUrl.value.trim()) body.token_url = this.tokenUrl.value.trim();
    if (this.authMethod.value) body.auth_method = this.authMethod.value;
    const missing = !sis ? ["sis", "Select your SIS first."]
      : !body.host_url ? ["host_url", "Enter the host URL."]
        : !body.access_key ? ["access_key", "Enter the access key."]
          : !body.secret_code ? ["secret_code", "Enter the secret code."] : null;
    if (missing) {
      showError(this.form, { field: missing[0], message: missing[1], hint: "" });
      return;
    }
    await busy(this.connectButton, "Connecting…", async () => {
      try {
        this.connection = await api.connect(body);
        this.secretCode.value = "";
        this.secretCode.placeholder = "Stored; enter it again to change the connection";
        this.renderStatus();
        this.renderPermissions();
        this.renderDisconnect();
        this.updateAuthorizeButton();
        clear(this.checksOut, h("p", { class: "callout good", role: "status" },
          `Saved the ${this.connection.sis_name} connection. Now press Authorize to check it live.`));
        announce("Connection saved. Next: Authorize.");
        this.authorizeButton.focus();
      } catch (error) {
        showError(this.form, error);
      }
    });
  }

  async authorize() {
    clearErrors(this.form);
    clear(this.checksOut);
    await busy(this.authorizeButton, "Checking…", async () => {
      try {
        const outcome = await api.authorize();
        this.connection = outcome.connection;
        this.renderStatus();
        clear(this.checksOut, h("div", { class: "callout good", role: "status" },
          h("p", {}, h("strong", {}, "Authorized. "), "Every check passed; teachers can now link courses and export."),
          checkList(outcome.checks)));
        announce("Authorized: every check passed.");
      } catch (error) {
        const checks = error.details?.checks || [];
        const box = showError(this.form, error, { fieldFor: (e) => FIELD_FOR_CODE[e.code] || null });
        if (checks.length) this.checksOut.append(h("div", { class: "callout bad" },
          h("p", {}, h("strong", {}, "The live check failed. ")), checkList(checks)));
        if (!error.field && !FIELD_FOR_CODE[error.code]) box?.scrollIntoView({ block: "center" });
        await this.refresh({ showLastError: false }).catch(() => {});
      }
    });
  }

  // ---- permissions -------------------------------------------------------------------------

  renderPermissions() {
    const c = this.connection;
    const enabled = c.teacher_export_enabled !== false;
    const box = h("input", { type: "checkbox", id: "teacher-export-enabled", checked: enabled,
      disabled: !this.connected });
    const warning = h("p", { class: `callout ${enabled ? "info" : "warn"}`, id: "permissions-warning" },
      h("strong", {}, "Unchecking stops teachers linking and exporting. "),
      "Teachers can no longer link courses or export grades, and scheduled exports are skipped. Links, export history ",
      "and the grades already in the SIS stay.");
    box.addEventListener("change", () => {
      warning.className = `callout ${box.checked ? "info" : "warn"}`;
    });
    const save = h("button", { type: "button", class: "button primary", disabled: !this.connected }, "Save");
    const out = h("p", { class: "saved", role: "status" });
    const form = h("div", { class: "permissions" },
      h("div", { class: "check" }, box,
        h("label", { for: "teacher-export-enabled" }, "Enable classwork and grade exporting")),
      h("p", { class: "help", id: "teacher-export-help" },
        "Lets teachers link their Classroom courses to SIS classes and export classwork and grades."),
      warning,
      h("div", { class: "form-error" }),
      h("div", { class: "actions" }, save, out));
    box.setAttribute("aria-describedby", "teacher-export-help permissions-warning");
    save.addEventListener("click", () => busy(save, "Saving…", async () => {
      clearErrors(form);
      out.textContent = "";
      try {
        this.connection = await api.setPermissions(box.checked);
        this.renderStatus();
        out.textContent = this.connection.teacher_export_enabled
          ? "Saved: teachers can link courses and export grades."
          : "Saved: teacher exports are off.";
      } catch (error) {
        showError(form, error);
      }
    }));
    clear(this.permissions, h("h2", { id: "permissions-title" }, "Teacher permissions"),
      this.connected ? null : h("p", { class: "help" }, "Connect an SIS first."), form);
  }

  // ---- webhook -----------------------------------------------------------------------------

  renderWebhook() {
    const rotate = h("button", { type: "button", class: "button secondary" }, "Rotate webhook secret");
    const out = h("div", { class: "webhook-out" });
    const section = h("div", {},
      h("p", {}, "Other systems can ask sisbridge to export a course by calling its webhook, signed with this secret. ",
        "Rotating creates a new secret and shows it once; the old one stops working."),
      h("div", { class: "form-error" }),
      h("div", { class: "actions" }, rotate), out);
    rotate.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Rotate the webhook secret?",
        body: h("p", {}, "The current secret stops working at once. Callers must be given the new one, which is shown only once."),
        confirmLabel: "Rotate",
      });
      if (!ok) return;
      await busy(rotate, "Rotating…", async () => {
        clearErrors(section);
        try {
          const { webhook_secret: secret, note } = await api.rotateWebhookSecret();
          const value = h("input", { type: "text", readonly: true, value: secret, spellcheck: "false", class: "secret" });
          const copy = h("button", { type: "button", class: "button secondary" }, "Copy");
          copy.addEventListener("click", async () => {
            value.select();
            try { await navigator.clipboard.writeText(secret); announce("Copied."); } catch { announce("Select the secret and copy it."); }
          });
          clear(out, h("div", { class: "callout warn" },
            field({ label: "New webhook secret (shown once)", name: "webhook_secret", control: value, help: note }),
            h("div", { class: "actions" }, copy)));
          value.focus();
          value.select();
        } catch (error) {
          showError(section, error);
        }
      });
    });
    clear(this.webhook, h("h2", { id: "webhook-title" }, "Webhook secret"), section);
  }

  // ---- disconnect --------------------------------------------------------------------------

  renderDisconnect() {
    const name = this.connection.sis_name || "the SIS";
    const remove = h("button", { type: "button", class: "button danger", disabled: !this.connected }, "Remove");
    const out = h("div", {});
    remove.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: `Disconnect ${name}?`,
        body: h("ul", { class: "consequences" },
          h("li", {}, h("strong", {}, "Exports stop. "), "Teachers can no longer export, and scheduled exports are skipped. ",
            "The stored access key and secret code are deleted."),
          h("li", {}, h("strong", {}, "Exported data stays. "), "Grades already in the SIS, course links and export history are kept."),
          h("li", {}, h("strong", {}, "Reconnecting later will not duplicate grades. "),
            "sisbridge writes the same SIS records again instead of creating new ones.")),
        confirmLabel: "Disconnect",
        danger: true,
      });
      if (!ok) return;
      await busy(remove, "Disconnecting…", async () => {
        try {
          this.connection = await api.disconnect();
          await this.refresh();
          clear(this.checksOut);
          announce(`${name} is disconnected.`);
          this.statusCard.querySelector("h2")?.focus();
        } catch (error) {
          clear(out, errorBox(error));
        }
      });
    });
    clear(this.danger, h("h2", { id: "disconnect-title" }, "Disconnect"),
      h("p", {}, "Removing the connection deletes the SIS credentials and stops every export. ",
        "Grades already exported, links and history stay."),
      h("div", { class: "actions" }, remove), out);
  }
}

function saasBadge(eligible) {
  if (eligible === true) return badge("Vendor-hosted (SaaS)", "good");
  if (eligible === false) return badge("Not vendor-hosted", "warn");
  return badge("Unknown", "neutral");
}

export function checkList(checks) {
  return h("ol", { class: "checks", "aria-label": "Live check results" }, checks.map((c) =>
    h("li", { class: c.ok ? "ok" : "failed" },
      h("span", { class: "check-icon", "aria-hidden": "true" }, c.ok ? "✓" : "✗"),
      h("span", { class: "visually-hidden" }, c.ok ? "Passed: " : "Failed: "),
      h("strong", {}, CHECK_NAMES[c.name] || c.name), " ", h("span", {}, c.message))));
}
