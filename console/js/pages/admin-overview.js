// District overview (admins): every linked class and its last export, failing classes first.
import { api } from "../api.js";
import { badge, clear, h, stateBadge, table, timeEl } from "../dom.js";

export function render() {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading…"));
  const element = h("section", { class: "page" },
    h("h1", {}, "District overview"),
    h("p", { class: "lead" }, "Every Classroom course linked to an SIS class, with its last export. Failing classes come first."),
    body);
  const ready = api.overview().then(({ classes }) => {
    const failing = classes.filter((c) => c.last_state === "failed" || c.last_state === "partial").length;
    clear(body,
      h("p", { class: failing ? "callout warn" : "callout good", role: "status" },
        failing ? `${failing} of ${classes.length} linked classes need attention.`
          : classes.length ? `All ${classes.length} linked classes exported without errors or have not exported yet.` : ""),
      table({
        caption: "Linked classes",
        empty: "No course is linked yet. Teachers link their courses from My courses once the SIS is authorized.",
        columns: ["Course", "SIS class", "Teacher", "Link", "Last export", "Finished"],
        rows: classes.map((c) => h("tr", { class: c.last_state === "failed" ? "row-bad" : "" },
          h("th", { scope: "row" }, c.course_name || c.course_id),
          h("td", {}, c.class_title || c.class_sourced_id, h("span", { class: "cell-note" }, c.class_sourced_id)),
          h("td", {}, c.teacher_email),
          h("td", {}, c.active ? badge("Linked", "good") : badge("Unlinked", "neutral")),
          h("td", {}, stateBadge(c.last_state)),
          h("td", {}, timeEl(c.last_finished_at)))),
      }));
  });
  return { element, title: "District overview", ready };
}
