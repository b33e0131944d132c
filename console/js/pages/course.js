// One course (teachers): link it to its SIS class (candidates best first, roster report before
// confirming), preview an export, export with live progress, resync, history with per-student
// errors, and retrying failures.
import { api } from "../api.js";
import {
  announce, badge, busy, clear, clearErrors, confirmDialog, errorBox, h, percent, showError, stateBadge, table, timeEl, uid,
} from "../dom.js";

const FINISHED = new Set(["succeeded", "partial", "failed"]);
const MAX_PREVIEW_ROWS = 200;
const REASONS = {
  not_in_sis_class: "not in the SIS class",
  not_in_course: "not in the Classroom course",
  no_email: "has no email address",
  ambiguous_email: "shares an email with another student",
};

export function render(app, courseId) {
  const page = new CoursePage(app, courseId);
  return { element: page.element, title: "Course", ready: page.load(), dispose: () => page.dispose() };
}

class CoursePage {
  constructor(app, courseId) {
    this.app = app;
    this.courseId = courseId;
    this.disposed = false;
    this.titles = {}; // courseWorkId → title, learnt from previews
    this.emails = {}; // Classroom userId → email, learnt from link reports and previews
    this.heading = h("h1", {}, "Course");
    this.subtitle = h("p", { class: "lead" });
    this.linkCard = h("section", { class: "card", "aria-labelledby": "link-title" });
    this.exportCard = h("section", { class: "card", "aria-labelledby": "export-title", hidden: true });
    this.historyCard = h("section", { class: "card", "aria-labelledby": "history-title", hidden: true });
    this.element = h("section", { class: "page" },
      h("p", { class: "breadcrumb" }, h("a", { href: "#/courses" }, "My courses")),
      this.heading, this.subtitle, this.linkCard, this.exportCard, this.historyCard);
  }

  dispose() {
    this.disposed = true;
    window.clearTimeout(this.pollTimer);
  }

  async load() {
    const { courses } = await api.courses();
    this.course = courses.find((c) => c.course_id === this.courseId)
      || { course_id: this.courseId, name: `Course ${this.courseId}`, linked: false };
    this.heading.textContent = this.course.name;
    document.title = `${this.course.name} · sisbridge`;
    this.subtitle.textContent = [this.course.section, `Classroom course ${this.courseId}`].filter(Boolean).join(" · ");
    if (this.course.linked) await this.showLinked();
    else await this.showCandidates();
  }

  // ---- linking ----------------------------------------------------------------------------

  async showCandidates(error) {
    this.exportCard.hidden = this.historyCard.hidden = true;
    clear(this.linkCard, h("h2", { id: "link-title" }, "Link to an SIS class"),
      h("p", { class: "loading" }, "Finding your SIS classes…"));
    let candidates;
    try {
      ({ candidates } = await api.candidates(this.courseId));
    } catch (err) {
      clear(this.linkCard, h("h2", { id: "link-title" }, "Link to an SIS class"), errorBox(err));
      return;
    }
    const review = h("button", { type: "submit", class: "button primary", disabled: !candidates.length }, "Review roster match");
    const form = h("form", { class: "candidates", novalidate: true },
      h("fieldset", { class: "field", dataset: { field: "class_sourced_id" } },
        h("legend", {}, "Choose the SIS class this course grades into"),
        h("p", { class: "help" }, "Your active SIS classes, best match first: by roster overlap, title and current term."),
        candidates.length ? h("ul", { class: "candidate-list" }, candidates.map((c, i) => candidate(c, i === 0)))
          : h("p", { class: "empty" }, "The SIS lists no active class for you."),
        h("div", { class: "field-error" })),
      h("div", { class: "form-error", hidden: true }),
      h("div", { class: "actions" }, review));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const chosen = form.querySelector('input[name="class_sourced_id"]:checked');
      if (!chosen) return showError(form, { field: "class_sourced_id", message: "Choose a class first." });
      const klass = candidates.find((c) => c.class_sourced_id === chosen.value);
      return busy(review, "Checking the roster…", () => this.reviewLink(form, klass));
    });
    clear(this.linkCard, h("h2", { id: "link-title" }, "Link to an SIS class"),
      h("p", {}, "Grades go to the SIS class you choose. Before you confirm, sisbridge compares the two rosters."),
      form);
    if (error) showError(form, error);
  }

  async reviewLink(form, klass) {
    clearErrors(form);
    let result;
    try {
      result = await api.link(this.courseId, klass.class_sourced_id);
    } catch (error) {
      showError(form, error);
      return;
    }
    for (const m of result.roster.matched || []) this.emails[m.userId] = m.email;
    const confirm = h("button", { type: "button", class: "button primary" }, "Confirm link");
    const another = h("button", { type: "button", class: "button secondary" }, "Choose another class");
    confirm.addEventListener("click", () => {
      this.course.linked = true;
      this.course.class_title = result.class_title;
      this.course.class_sourced_id = result.class_sourced_id;
      announce(`Linked to ${result.class_title}.`);
      this.showLinked({ justLinked: true });
    });
    another.addEventListener("click", () => busy(another, "Unlinking…", async () => {
      try {
        await api.unlink(this.courseId);
      } catch (error) {
        clear(this.linkCard.querySelector(".form-error") || this.linkCard, errorBox(error));
        return;
      }
      await this.showCandidates();
    }));
    clear(this.linkCard,
      h("h2", { id: "link-title" }, "Roster match"),
      h("p", {}, `Classroom course “${this.course.name}” and SIS class “${result.class_title}” `,
        h("span", { class: "cell-note inline" }, `(${result.class_sourced_id})`), ":"),
      rosterReport(result.roster),
      h("p", { class: "help" }, "Students only in Classroom get no SIS grade until the SIS class includes them with the same email. ",
        "The link is saved while you review; Choose another class undoes it."),
      h("div", { class: "actions" }, confirm, another));
    confirm.focus();
  }

  async showLinked({ justLinked = false } = {}) {
    const unlink = h("button", { type: "button", class: "button secondary" }, "Unlink");
    unlink.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Unlink this course?",
        body: h("p", {}, "Exports of this course stop. Grades already in the SIS, and the export history, stay; ",
          "linking the same class again later does not duplicate them."),
        confirmLabel: "Unlink",
        danger: true,
      });
      if (!ok) return;
      try {
        await api.unlink(this.courseId);
        this.course.linked = false;
        announce("Unlinked.");
        await this.showCandidates();
      } catch (error) {
        this.linkCard.append(errorBox(error));
      }
    });
    clear(this.linkCard,
      h("div", { class: "card-head" }, h("h2", { id: "link-title" }, "SIS class"), badge("Linked", "good")),
      h("p", {}, "Grades export to ", h("strong", {}, this.course.class_title || this.course.class_sourced_id),
        this.course.class_sourced_id ? h("span", { class: "cell-note inline" }, ` (${this.course.class_sourced_id})`) : null, "."),
      justLinked ? h("p", { class: "callout good", role: "status" }, "Linked. Preview the export to see what will be sent.") : null,
      h("div", { class: "actions" }, unlink));
    this.renderExport();
    await this.loadHistory();
  }

  // ---- export -----------------------------------------------------------------------------

  renderExport() {
    this.exportCard.hidden = false;
    this.previewButton = h("button", { type: "button", class: "button secondary" }, "Preview");
    this.exportButton = h("button", { type: "button", class: "button primary" }, "Export now");
    this.resyncButton = h("button", { type: "button", class: "button secondary" }, "Resync (full)");
    this.exportError = h("div", { class: "form-error", hidden: true });
    this.progress = h("div", { class: "progress-area" });
    this.previewOut = h("div", { class: "preview-out" });
    this.previewButton.addEventListener("click", () => busy(this.previewButton, "Previewing…", () => this.preview()));
    this.exportButton.addEventListener("click", () => this.start(false, this.exportButton));
    this.resyncButton.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Resync every item?",
        body: h("p", {}, "A resync rewrites every assignment and grade of this course in the SIS, even those sisbridge ",
          "already sent. Use it when grades were changed by hand in the SIS. Nothing is duplicated."),
        confirmLabel: "Resync",
      });
      if (ok) await this.start(true, this.resyncButton);
    });
    clear(this.exportCard,
      h("h2", { id: "export-title" }, "Export grades"),
      h("ul", { class: "plain help" },
        h("li", {}, h("strong", {}, "Preview"), " shows what an export would create, update and delete. It writes nothing."),
        h("li", {}, h("strong", {}, "Export now"), " sends what changed since the last export."),
        h("li", {}, h("strong", {}, "Resync (full)"), " sends everything again.")),
      h("div", { class: "actions" }, this.previewButton, this.exportButton, this.resyncButton),
      this.exportError, this.progress, this.previewOut);
  }

  async preview() {
    clearErrors(this.exportCard);
    clear(this.previewOut, h("p", { class: "loading" }, "Reading Classroom and the SIS…"));
    try {
      const { plan } = await api.preview(this.courseId);
      this.learn(plan);
      clear(this.previewOut, this.planView(plan));
      announce(`Preview ready: ${plan.operations.length} changes.`);
    } catch (error) {
      clear(this.previewOut);
      showError(this.exportCard, error, { summary: this.exportError });
    }
  }

  learn(plan) {
    for (const li of plan.lineItems || []) this.titles[li.courseWorkId] = li.title || li.classroomTitle;
    for (const m of plan.roster?.matched || []) this.emails[m.userId] = m.email;
    for (const u of plan.roster?.classroomOnly || []) if (u.email) this.emails[u.id] = u.email;
  }

  planView(plan) {
    const n = plan.counts;
    const ops = plan.operations;
    const summary = h("ul", { class: "counts" },
      count("Assignments", n.lineItem), count("Grades", n.result),
      h("li", {}, h("strong", {}, n.unchanged), " unchanged"),
      h("li", {}, h("strong", {}, n.skipped), " skipped"),
      n.orphaned ? h("li", {}, h("strong", {}, n.orphaned), " left in the SIS") : null);
    const rows = ops.slice(0, MAX_PREVIEW_ROWS).map((op) => h("tr", {},
      h("td", {}, actionBadge(op.action)),
      h("td", {}, op.kind === "lineItem" ? "Assignment" : "Grade"),
      h("th", { scope: "row" }, this.titles[op.courseWorkId] || op.courseWorkId || op.sourcedId,
        op.kind === "result" ? h("span", { class: "cell-note" }, this.emails[op.userId] || op.studentSourcedId || "") : null),
      h("td", { class: "old" }, summaryText(op.old?.summary)),
      h("td", { class: "arrow", "aria-hidden": "true" }, "→"),
      h("td", { class: "new" }, summaryText(op.new?.summary))));
    const skipped = groupBy(plan.skipped || [], (s) => s.reason);
    return h("div", { class: "plan" },
      h("h3", {}, "Preview"),
      summary,
      ops.length ? table({ caption: "Changes an export would make", className: "plan-table",
        columns: ["Change", "Kind", "Item", "Before", h("span", { class: "visually-hidden" }, "becomes"), "After"],
        rows }) : h("p", { class: "empty" }, "Nothing to send: the SIS already has every grade."),
      ops.length > MAX_PREVIEW_ROWS ? h("p", { class: "help" }, `Showing the first ${MAX_PREVIEW_ROWS} of ${ops.length} changes.`) : null,
      Object.keys(skipped).length ? h("details", { class: "skipped" },
        h("summary", {}, `Not exported (${plan.skipped.length})`),
        h("ul", {}, Object.entries(skipped).map(([reason, items]) =>
          h("li", {}, h("strong", {}, `${items.length} × ${reason.replace(/_/g, " ")}`), ": ", items[0].detail || "")))) : null,
      (plan.roster?.classroomOnly || []).length ? h("div", { class: "callout warn" },
        h("p", {}, h("strong", {}, "Students without an SIS match: "),
          plan.roster.classroomOnly.map((u) => u.email || u.id).join(", "),
          ". Their grades are not exported.")) : null);
  }

  async start(full, button) {
    clearErrors(this.exportCard);
    await busy(button, full ? "Starting the resync…" : "Starting…", async () => {
      let started;
      try {
        started = await api.startExport(this.courseId, full);
      } catch (error) {
        showError(this.exportCard, error, { summary: this.exportError });
        return;
      }
      clear(this.previewOut);  // what it showed is about to be out of date
      if (started.coalesced) announce("An export of this course was already queued; following it.");
      await this.follow(started.run_id, { coalesced: started.coalesced });
    });
  }

  // Poll the run and show its progress until it finishes.
  async follow(runId, { coalesced = false } = {}) {
    window.clearTimeout(this.pollTimer);
    const bar = h("progress", { id: "export-progress", "aria-label": "Export progress", max: "1" });
    const text = h("p", { class: "progress-text", id: "export-progress-text" }, "Queued…");
    const panel = h("div", { class: "progress-panel", dataset: { runId } },
      h("h3", {}, "Export in progress"),
      coalesced ? h("p", { class: "help" }, "An export of this course was already queued; this is that export.") : null,
      bar, text);
    bar.setAttribute("aria-describedby", "export-progress-text");
    clear(this.progress, panel);
    this.setButtons(false);
    const step = async () => {
      if (this.disposed) return;
      let run;
      try {
        run = await api.run(this.courseId, runId);
      } catch (error) {
        panel.append(errorBox(error));
        this.setButtons(true);
        return;
      }
      if (run.total > 0) {
        bar.max = run.total;
        bar.value = run.done;
        text.textContent = `${run.state === "queued" ? "Queued" : "Exporting"}: ${run.done} of ${run.total} items`;
      } else {
        bar.removeAttribute("value");
        text.textContent = run.state === "queued" ? "Queued…" : "Reading Classroom and the SIS…";
      }
      if (!FINISHED.has(run.state)) {
        this.pollTimer = window.setTimeout(step, this.app.config.pollIntervalMs || 500);
        return;
      }
      bar.max = Math.max(run.total, 1);
      bar.value = run.total ? run.done : 1;
      panel.dataset.state = run.state;
      clear(panel,
        h("div", { class: "card-head" }, h("h3", {}, "Export finished"), stateBadge(run.state)),
        bar,
        h("p", { class: "progress-text", id: "export-progress-text" }, `${run.done} of ${run.total} items sent. `, runCounts(run)),
        run.errors.length ? h("p", {}, `${run.errors.length} ${run.errors.length === 1 ? "problem" : "problems"}: see the errors below.`) : null);
      announce(`Export ${run.state === "succeeded" ? "succeeded" : run.state === "partial" ? "finished with errors" : "failed"}.`);
      this.setButtons(true);
      await this.loadHistory({ expand: run.run_id });
    };
    await step();
  }

  setButtons(enabled) {
    for (const b of [this.previewButton, this.exportButton, this.resyncButton]) if (b) b.disabled = !enabled;
  }

  // ---- history ----------------------------------------------------------------------------

  async loadHistory({ expand } = {}) {
    let runs;
    try {
      ({ runs } = await api.runs(this.courseId));
    } catch (error) {
      clear(this.historyCard, h("h2", { id: "history-title" }, "Export history"), errorBox(error));
      this.historyCard.hidden = false;
      return;
    }
    if (this.disposed) return;
    this.historyCard.hidden = false;
    const open = expand || (runs[0] && runs[0].errors.length ? runs[0].run_id : null);
    const rows = [];
    for (const run of runs) {
      const detailsId = uid("run-errors");
      const hasErrors = run.errors.length > 0 || run.counts.failed > 0;
      const toggle = hasErrors ? h("button", { type: "button", class: "button link", "aria-expanded": String(run.run_id === open),
        "aria-controls": detailsId }, `${run.run_id === open ? "Hide" : "Show"} ${run.errors.length} ${run.errors.length === 1 ? "error" : "errors"}`) : null;
      const details = h("tr", { class: "errors-row", id: detailsId, hidden: run.run_id !== open },
        h("td", { colspan: "6" }, hasErrors ? this.errorsView(run) : null));
      toggle?.addEventListener("click", () => {
        const show = details.hidden;
        details.hidden = !show;
        toggle.setAttribute("aria-expanded", String(show));
        toggle.textContent = `${show ? "Hide" : "Show"} ${run.errors.length} ${run.errors.length === 1 ? "error" : "errors"}`;
      });
      rows.push(h("tr", { dataset: { runId: run.run_id, state: run.state } },
        h("th", { scope: "row" }, timeEl(run.created_at)),
        h("td", {}, triggerText(run, this.app.session?.email)),
        h("td", {}, stateBadge(run.state)),
        h("td", {}, runCounts(run)),
        h("td", {}, run.state === "queued" || run.state === "running" ? `${run.done} of ${run.total || "?"}` : timeEl(run.finished_at)),
        h("td", {}, toggle || "—")));
      rows.push(details);
    }
    clear(this.historyCard, h("h2", { id: "history-title" }, "Export history"),
      table({ caption: "Recent exports of this course", className: "history", empty: "No export yet.",
        columns: ["Started", "Type", "Result", "Changes", "Finished", "Errors"], rows }));
    const active = runs.find((r) => !FINISHED.has(r.state));
    if (active && !this.progress?.querySelector(`[data-run-id="${CSS.escape(active.run_id)}"]`)) this.follow(active.run_id);
  }

  errorsView(run) {
    const retry = h("button", { type: "button", class: "button primary" }, "Retry failures");
    retry.addEventListener("click", () => this.start(false, retry));
    return h("div", { class: "run-errors" },
      h("h3", {}, "Problems in the export of ", timeEl(run.created_at)),
      h("ul", { class: "error-list" }, run.errors.map((e) => h("li", { class: "run-error", dataset: { code: e.code } },
        h("p", { class: "error-message" }, badge(e.code.replace(/_/g, " "), "bad"), " ", e.message),
        e.hint ? h("p", { class: "error-hint" }, h("span", { class: "hint-label" }, "How to fix: "), e.hint) : null,
        h("p", { class: "cell-note" },
          [e.student ? `Student: ${e.student}` : null, e.item ? `Item: ${e.item_title || this.titles[e.item] || e.item}` : null,
            e.sourced_id ? `SIS id: ${e.sourced_id}` : null].filter(Boolean).join(" · "))))),
      run.errors_dropped ? h("p", { class: "help" }, `${run.errors_dropped} more errors are not listed.`) : null,
      h("div", { class: "actions" }, retry,
        h("p", { class: "help" }, "Starts a new export. sisbridge remembers what the SIS accepted, so it sends only what ",
          "failed and anything changed since; fix the causes above first.")));
  }
}

function candidate(c, best) {
  const id = uid("candidate");
  return h("li", { class: "candidate" },
    h("input", { type: "radio", name: "class_sourced_id", id, value: c.class_sourced_id, checked: best }),
    h("label", { for: id },
      h("span", { class: "candidate-title" }, c.title, best ? [" ", badge("Best match", "good")] : null),
      h("span", { class: "cell-note" }, [c.class_code, c.class_sourced_id, c.terms.join(", ")].filter(Boolean).join(" · ")),
      h("span", { class: "scores" },
        h("span", {}, "Match ", h("strong", {}, percent(c.score))),
        h("span", {}, "Roster overlap ", h("strong", {}, percent(c.roster_overlap))),
        h("span", {}, "Title ", h("strong", {}, percent(c.title_similarity))),
        h("span", {}, c.current_term ? "Current term" : "Not the current term"))));
}

function rosterReport(roster) {
  const matched = roster.matched || [];
  const classroomOnly = roster.classroomOnly || [];
  const sisOnly = roster.sisOnly || [];
  const who = (u) => h("li", {}, h("code", {}, u.email || u.id), ` — ${REASONS[u.reason] || u.reason.replace(/_/g, " ")}`);
  return h("div", { class: "roster" },
    h("ul", { class: "counts" },
      h("li", { class: "good" }, h("strong", {}, matched.length), " matched by email"),
      h("li", { class: classroomOnly.length ? "warn" : "" }, h("strong", {}, classroomOnly.length), " only in Classroom"),
      h("li", {}, h("strong", {}, sisOnly.length), " only in the SIS")),
    classroomOnly.length ? h("div", { class: "callout warn" }, h("h3", {}, "Only in Classroom: no SIS grade"),
      h("ul", {}, classroomOnly.map(who))) : null,
    sisOnly.length ? h("div", { class: "callout info" }, h("h3", {}, "Only in the SIS"), h("ul", {}, sisOnly.map(who))) : null,
    matched.length ? h("details", {}, h("summary", {}, `Matched students (${matched.length})`),
      h("ul", { class: "columns" }, matched.map((m) => h("li", {}, m.email)))) : null);
}

function count(label, byAction) {
  return h("li", {}, `${label}: `,
    h("strong", {}, byAction.create), " to create, ", h("strong", {}, byAction.update), " to update, ",
    h("strong", {}, byAction.delete), " to delete");
}

function actionBadge(action) {
  const tone = { create: "good", update: "info", delete: "bad" }[action] || "neutral";
  const word = { create: "Create", update: "Update", delete: "Delete" }[action] || action;
  return badge(word, tone);
}

const ISO = /^\d{4}-\d{2}-\d{2}(T|$)/;
function summaryText(summary) {
  if (!summary) return "—";
  const parts = [];
  for (const [key, value] of Object.entries(summary)) {
    if (value === null || value === undefined || value === "") continue;
    if (typeof value === "boolean") { if (value) parts.push(key); continue; }
    if (key === "title") { parts.unshift(`“${value}”`); continue; }
    const shown = typeof value === "string" && ISO.test(value) ? new Date(value).toLocaleDateString() : String(value);
    parts.push(`${key} ${shown}`);
  }
  return parts.join(", ") || "—";
}

function runCounts(run) {
  const c = run.counts || {};
  const bits = [["created", c.created], ["updated", c.updated], ["deleted", c.deleted], ["unchanged", c.unchanged],
    ["failed", c.failed], ["skipped", c.skipped]].filter(([, v]) => v);
  return h("span", { class: "run-counts" }, bits.length ? bits.map(([k, v]) => `${v} ${k}`).join(", ") : "no changes");
}

function triggerText(run, me) {
  const kind = run.full ? "Full resync" : "Export";
  const person = run.requested_by === me ? "you" : run.requested_by;
  const by = { console: person, webhook: "webhook", schedule: "schedule" }[run.trigger] || run.trigger;
  return h("span", {}, kind, h("span", { class: "cell-note" }, `by ${by}`));
}

function groupBy(items, key) {
  const out = {};
  for (const item of items) (out[key(item)] ||= []).push(item);
  return out;
}
