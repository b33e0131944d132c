// Audit log (admins): who changed the connection, permissions, webhook secret and links, newest first.
import { api } from "../api.js";
import { clear, h, table, timeEl } from "../dom.js";

const ACTIONS = {
  "connection.connected": "Connected the SIS",
  "connection.authorized": "Authorized the SIS",
  "connection.authorize_failed": "Authorization failed",
  "connection.disconnected": "Disconnected the SIS",
  "permissions.changed": "Changed teacher permissions",
  "webhook.rotated": "Rotated the webhook secret",
  "class.linked": "Linked a course",
  "class.unlinked": "Unlinked a course",
};

export function render() {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const element = h("section", { class: "page" },
    h("h1", {}, "Audit log"),
    h("p", { class: "lead" }, "The 50 most recent changes in your district, newest first. Credentials are never recorded."),
    body);
  const ready = api.audit().then(({ events }) => clear(body, table({
    caption: "Recent changes",
    empty: "Nothing has changed yet.",
    columns: ["When", "Who", "What", "Change"],
    rows: events.map((e) => h("tr", {},
      h("td", {}, timeEl(e.at)),
      h("td", {}, e.actor),
      h("th", { scope: "row" }, ACTIONS[e.action] || e.action, h("span", { class: "cell-note" }, e.action)),
      h("td", {}, change(e.before, e.after)))),
  })));
  return { element, title: "Audit log", ready };
}

function change(before, after) {
  const keys = [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])];
  const shown = keys.filter((k) => JSON.stringify((before || {})[k]) !== JSON.stringify((after || {})[k]));
  if (!shown.length) return "—";
  return h("ul", { class: "plain changes" }, shown.map((k) => h("li", {},
    h("code", {}, k), ": ",
    before && k in before ? h("span", { class: "old" }, show(before[k])) : null,
    before && k in before ? " → " : null,
    h("span", { class: "new" }, after && k in after ? show(after[k]) : "—"))));
}

function show(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
