// The partnership status table: which SIS Google Classroom partners with, on what licence.
import { api } from "../api.js";
import { badge, clear, h, table } from "../dom.js";

const TONE = { partner: "good", not_listed: "warn", generic: "info" };
const WORDS = { partner: "Google partner", not_listed: "Not listed", generic: "Generic OneRoster" };

export function render() {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const element = h("section", { class: "page" },
    h("h1", {}, "SIS partners"),
    h("p", { class: "lead" }, "Google Classroom's SIS partnership status for each profile sisbridge knows. ",
      "sisbridge speaks OneRoster to all of them, whether or not Google lists the SIS as a partner."),
    body);
  const ready = api.partners().then(({ partners }) => clear(body, partnerTable(partners)));
  return { element, title: "SIS partners", ready };
}

export function partnerTable(partners) {
  return table({
    caption: "Partnership status",
    columns: ["SIS", "Partnership", "Licence", "OneRoster", "Sign-in", "Host URL example"],
    rows: partners.map((p) => h("tr", {},
      h("th", { scope: "row" }, p.name),
      h("td", {}, partnershipBadge(p.partnership), h("span", { class: "cell-note" }, p.status)),
      h("td", {}, p.licence || "—"),
      h("td", {}, p.oneroster_versions.join(", ")),
      h("td", {}, p.auth_methods.map(authName).join(", ")),
      h("td", {}, h("code", { class: "wrap" }, p.host_url_example)))),
  });
}

export function authName(method) {
  return { oauth2: "OAuth 2", oauth1: "OAuth 1.0a" }[method] || method;
}

export function partnershipBadge(partnership) {
  return badge(WORDS[partnership] || partnership, TONE[partnership] || "neutral");
}
