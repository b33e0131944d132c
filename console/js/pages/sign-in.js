// Sign-in: Google Identity Services in the cloud; on the local stack, a local token for any email.
import { api } from "../api.js";
import { renderGoogleButton, saveSession } from "../auth.js";
import { busy, clearErrors, field, h, showError } from "../dom.js";

export function render(app) {
  const notice = sessionStorage.getItem("sisbridge.notice");
  sessionStorage.removeItem("sisbridge.notice");
  const element = h("section", { class: "page narrow sign-in" },
    h("h1", {}, "Sign in"),
    notice ? h("p", { class: "callout info", role: "status" }, notice) : null);
  const ready = app.config.signIn === "google" ? google(app, element) : local(app, element);
  return { element, title: "Sign in", ready };
}

async function google(app, element) {
  const button = h("div", { class: "gis-button", id: "google-sign-in" });
  const problem = h("div", { class: "form-error", hidden: true });
  element.append(
    h("p", {}, "Sign in with your school's Google Workspace account. Administrators manage the SIS connection; ",
      "teachers link their Classroom courses and export grades."),
    button, problem);
  try {
    await renderGoogleButton(button, async (credential) => {
      saveSession(credential, "google");
      await app.signedIn();
    });
  } catch (error) {
    problem.hidden = false;
    problem.append(h("div", { class: "error-box", role: "alert" },
      h("p", { class: "error-message" }, error.message),
      h("p", { class: "error-hint" }, h("span", { class: "hint-label" }, "How to fix: "),
        "Check your network and that config.js names the OAuth client id (googleClientId).")));
  }
}

async function local(app, element) {
  const people = app.localConfig?.people || { admin: "admin@district.example", teacher: "ada.lovelace@district.example" };
  const email = h("input", { type: "email", autocomplete: "email", required: true, spellcheck: "false" });
  const admin = h("input", { type: "checkbox", id: "sign-in-admin", name: "admin" });
  const submit = h("button", { type: "submit", class: "button primary" }, "Sign in");
  const form = h("form", { class: "card", novalidate: true },
    h("h2", {}, "Sign in as someone else"),
    field({ label: "Email", name: "email", control: email,
      help: "Anyone in the sandbox district, e.g. a teacher's address." }),
    h("div", { class: "check" }, admin,
      h("label", { for: "sign-in-admin" }, "Make this person an admin of their domain")),
    h("div", { class: "form-error", hidden: true }),
    h("div", { class: "actions" }, submit));

  const signInAs = async (address, asAdmin, button) => {
    clearErrors(form);
    await busy(button, "Signing in…", async () => {
      try {
        const result = await api.localSignIn(address, asAdmin);
        saveSession(result.token, "local");
        await app.signedIn();
      } catch (error) {
        showError(form, error);
      }
    });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    signInAs(email.value, admin.checked, submit);
  });

  const quickAdmin = h("button", { type: "button", class: "button primary" }, `Sign in as the district admin`);
  const quickTeacher = h("button", { type: "button", class: "button secondary" }, `Sign in as Ada Lovelace (teacher)`);
  quickAdmin.addEventListener("click", () => signInAs(people.admin, true, quickAdmin));
  quickTeacher.addEventListener("click", () => signInAs(people.teacher, false, quickTeacher));

  element.append(
    h("p", { class: "callout local" },
      h("strong", {}, "Local stack. "),
      "Sign-in here mints a token on this machine, like ",
      h("code", {}, "sisbridge token"), ". This page exists only on the local stack; a deployed sisbridge uses ",
      "Google sign-in."),
    h("div", { class: "card" },
      h("h2", {}, "Try the sandbox district"),
      h("p", {}, "The admin connects the sandbox SIS; Ada teaches Algebra I and Geometry and exports their grades."),
      h("ul", { class: "plain" },
        h("li", {}, h("strong", {}, "Admin: "), h("code", {}, people.admin)),
        h("li", {}, h("strong", {}, "Teacher: "), h("code", {}, people.teacher))),
      h("div", { class: "actions" }, quickAdmin, quickTeacher)),
    form);
}
