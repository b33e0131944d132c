// My courses (teachers): each Classroom course I teach, whether it is linked, its last export.
import { api } from "../api.js";
import { badge, clear, h, stateBadge, table } from "../dom.js";

export function render() {
  const body = h("div", {}, h("p", { class: "loading" }, "Loading your Classroom courses…"));
  const element = h("section", { class: "page" },
    h("h1", {}, "My courses"),
    h("p", { class: "lead" }, "Link each Google Classroom course to its SIS class once, then export its grades whenever you like."),
    body);
  const ready = api.courses().then(({ courses }) => clear(body, table({
    caption: "Your Classroom courses",
    empty: "You teach no active Google Classroom course.",
    columns: ["Course", "SIS class", "Last export", ""],
    rows: courses.map((c) => {
      const href = `#/courses/${encodeURIComponent(c.course_id)}`;
      return h("tr", {},
        h("th", { scope: "row" }, h("span", { class: "course-name" }, c.name),
          c.section ? h("span", { class: "cell-note" }, c.section) : null),
        h("td", {}, c.linked ? [badge("Linked", "good"), " ", c.class_title] : badge("Not linked", "neutral")),
        h("td", {}, c.linked || c.last_state ? stateBadge(c.last_state) : "—"),
        h("td", { class: "row-action" }, h("a", { class: `button ${c.linked ? "secondary" : "primary"}`, href,
          "aria-label": `${c.linked ? "Export" : "Link"} ${c.name}` }, c.linked ? "Export" : "Link")));
    }),
  })));
  return { element, title: "My courses", ready };
}
