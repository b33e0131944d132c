// Small DOM helpers. Text always goes in as text (never innerHTML), so nothing the API or the
// SIS returns can inject markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === "value" || key === "checked") el[key] = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

let counter = 0;
export function uid(prefix) {
  counter += 1;
  return `${prefix}-${counter}`;
}

// Polite announcements for screen readers ("Saved", "Export finished").
export function announce(message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  window.setTimeout(() => { region.textContent = message; }, 50);
}

// A labelled form field: label, optional help, the control, and an error slot tied to it with
// aria-describedby. `control` is an <input>, <select> or <textarea> without an id.
export function field({ label, control, help, name }) {
  const id = uid(name || "field");
  control.id = id;
  if (name) control.name = name;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const described = [help ? helpId : null, errorId].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  const wrapper = h("div", { class: "field", dataset: { field: name || "" } },
    h("label", { for: id }, label),
    control,
    help ? h("p", { class: "help", id: helpId }, help) : null,
    h("div", { class: "field-error", id: errorId }));
  return wrapper;
}

// Show an API error next to the field it names (message + hint), or in the form's summary slot.
export function showError(container, error, { fieldFor, summary } = {}) {
  clearErrors(container);
  const name = error.field || (fieldFor ? fieldFor(error) : null);
  const slot = name ? container.querySelector(`.field[data-field="${CSS.escape(name)}"]`) : null;
  const box = errorBox(error);
  if (slot) {
    const control = slot.querySelector("input, select, textarea");
    control?.setAttribute("aria-invalid", "true");
    slot.classList.add("has-error");
    slot.querySelector(".field-error").append(box);
    control?.focus();
  } else {
    const target = summary || container.querySelector(".form-error");
    if (target) {
      target.append(box);
      target.hidden = false;
      target.setAttribute("tabindex", "-1");
      target.focus();
    }
  }
  return box;
}

export function clearErrors(container) {
  for (const slot of container.querySelectorAll(".field.has-error")) {
    slot.classList.remove("has-error");
    slot.querySelector("[aria-invalid]")?.removeAttribute("aria-invalid");
  }
  for (const el of container.querySelectorAll(".field-error, .form-error")) el.replaceChildren();
  for (const el of container.querySelectorAll(".form-error")) el.hidden = true;
}

// message, then "How to fix: hint", then the code for support; role=alert so it is read out.
export function errorBox(error) {
  return h("div", { class: "error-box", role: "alert" },
    h("p", { class: "error-message" }, error.message || "Something went wrong."),
    error.hint ? h("p", { class: "error-hint" }, h("span", { class: "hint-label" }, "How to fix: "), error.hint) : null,
    error.code ? h("p", { class: "error-code" }, `Code: ${error.code}`) : null);
}

export function badge(text, tone = "neutral") {
  return h("span", { class: `badge badge-${tone}` }, text);
}

const STATE_TONES = {
  succeeded: "good", authorized: "good", partial: "warn", connected: "info", running: "info", queued: "info",
  failed: "bad", error: "bad", disconnected: "neutral", none: "neutral",
};
const STATE_WORDS = {
  succeeded: "Succeeded", partial: "Partly failed", failed: "Failed", running: "Running", queued: "Queued",
  authorized: "Authorized", connected: "Connected, not authorized", error: "Error", disconnected: "Disconnected",
  none: "Not connected",
};
export function stateBadge(state) {
  if (!state) return badge("Never exported", "neutral");
  return badge(STATE_WORDS[state] || state, STATE_TONES[state] || "neutral");
}

export function formatTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function timeEl(iso) {
  return h("time", { datetime: iso || "" }, formatTime(iso));
}

export function table({ caption, columns, rows, empty, className }) {
  if (!rows.length && empty) return h("p", { class: "empty" }, empty);
  return h("div", { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
    h("table", { class: className || "" },
      h("caption", { class: caption ? "" : "visually-hidden" }, caption || ""),
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows)));
}

// A modal confirmation on <dialog>: focus moves in, Escape cancels, focus returns to the opener.
export function confirmDialog({ title, body, confirmLabel, danger = false, cancelLabel = "Cancel" }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = uid("dialog-title");
    const cancel = h("button", { type: "button", class: "button secondary", value: "cancel" }, cancelLabel);
    const ok = h("button", { type: "button", class: `button ${danger ? "danger" : "primary"}` }, confirmLabel);
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId },
      h("h2", { id: titleId }, title),
      h("div", { class: "dialog-body" }, body),
      h("div", { class: "actions" }, cancel, ok));
    let answer = false;
    cancel.addEventListener("click", () => dialog.close());
    ok.addEventListener("click", () => { answer = true; dialog.close(); });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

export function percent(value) {
  return `${Math.round((value || 0) * 100)}%`;
}

// A button that shows it is busy while `action` runs and cannot be pressed twice.
export async function busy(button, label, action) {
  const previous = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  if (label) button.textContent = label;
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = previous;
  }
}
