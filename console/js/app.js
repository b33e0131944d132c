// The console shell: sign-in state, navigation by URL hash (works on any static hosting), and
// one page at a time in <main>.
import config from "../config.js";
import { api, ApiError, configureApi } from "./api.js";
import { currentSession, signOut, token } from "./auth.js";
import { announce, clear, h } from "./dom.js";
import * as adminAudit from "./pages/admin-audit.js";
import * as adminOverview from "./pages/admin-overview.js";
import * as adminPartners from "./pages/admin-partners.js";
import * as adminSis from "./pages/admin-sis.js";
import * as course from "./pages/course.js";
import * as courses from "./pages/courses.js";
import * as signIn from "./pages/sign-in.js";

const ROUTES = [
  { path: /^\/sign-in$/, page: signIn, public: true },
  { path: /^\/admin\/sis$/, page: adminSis, admin: true },
  { path: /^\/admin\/partners$/, page: adminPartners, admin: true },
  { path: /^\/admin\/overview$/, page: adminOverview, admin: true },
  { path: /^\/admin\/audit$/, page: adminAudit, admin: true },
  { path: /^\/courses$/, page: courses },
  { path: /^\/courses\/([^/]+)$/, page: course },
];

const NAV = [
  { href: "#/admin/sis", label: "SIS connection", admin: true },
  { href: "#/admin/partners", label: "Partners", admin: true },
  { href: "#/admin/overview", label: "District overview", admin: true },
  { href: "#/admin/audit", label: "Audit log", admin: true },
  { href: "#/courses", label: "My courses" },
];

const state = { isAdmin: null, localConfig: null, page: null, rendered: 0 };

export const app = {
  config,
  get localConfig() { return state.localConfig; },
  get isAdmin() { return state.isAdmin; },
  get session() { return currentSession(); },
  go(path) {
    if (location.hash === `#${path}`) render();
    else location.hash = `#${path}`;
  },
  async signedIn() {
    state.isAdmin = null;
    await resolveRole();
    app.go(state.isAdmin ? "/admin/sis" : "/courses");
  },
  signOut(message) {
    signOut();
    state.isAdmin = null;
    sessionStorage.setItem("sisbridge.notice", message || "");
    app.go("/sign-in");
  },
};

async function resolveRole() {
  if (state.isAdmin !== null || !token()) return;
  try {
    await api.connection();
    state.isAdmin = true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) state.isAdmin = false;
    else throw error;
  }
}

function renderChrome(path) {
  const nav = document.getElementById("nav");
  const account = document.getElementById("account");
  const session = currentSession();
  nav.hidden = account.hidden = !session;
  if (!session) {
    clear(nav);
    clear(account);
    return;
  }
  const items = NAV.filter((item) => !item.admin || state.isAdmin);
  clear(nav, h("ul", {}, items.map((item) => {
    const current = path === item.href.slice(1) || (item.href === "#/courses" && path.startsWith("/courses"));
    return h("li", {}, h("a", { href: item.href, "aria-current": current ? "page" : null }, item.label));
  })));
  clear(account,
    h("span", { class: "who" }, h("span", { class: "visually-hidden" }, "Signed in as "), session.email,
      state.isAdmin ? h("span", { class: "role" }, " · admin") : null),
    h("button", { type: "button", class: "button link", onClick: () => app.signOut("You are signed out.") },
      "Sign out"));
}

async function render() {
  const main = document.getElementById("main");
  const raw = location.hash.replace(/^#/, "");
  let path = raw.startsWith("/") ? raw : "/";
  if (state.page?.dispose) state.page.dispose();
  state.page = null;
  const session = currentSession();
  if (!session) path = "/sign-in";
  else if (path === "/" || path === "/sign-in") {
    try { await resolveRole(); } catch (error) { return showFatal(main, error); }
    path = state.isAdmin ? "/admin/sis" : "/courses";
  }
  if (location.hash !== `#${path}`) history.replaceState(null, "", `#${path}`);

  let route = null;
  let params = [];
  for (const candidate of ROUTES) {
    const match = path.match(candidate.path);
    if (match) { route = candidate; params = match.slice(1).map(decodeURIComponent); break; }
  }
  if (session) {
    try { await resolveRole(); } catch (error) { return showFatal(main, error); }
  }
  renderChrome(path);
  if (!route) {
    clear(main, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/" }, "Go to the start page")));
    return focusHeading(main, "Page not found");
  }
  if (route.admin && !state.isAdmin) {
    clear(main, h("h1", {}, "Admins only"),
      h("p", {}, "This page is for your district's sisbridge administrators. ",
        h("a", { href: "#/courses" }, "Go to My courses")));
    return focusHeading(main, "Admins only");
  }
  const view = route.page.render(app, ...params);
  state.page = view;
  clear(main, view.element);
  focusHeading(main, view.title);
  if (view.ready) {
    try { await view.ready; } catch (error) { showFatal(main, error); }
  }
}

// After navigating inside the console, focus moves to the new page's title so screen readers
// announce it; on the first load it stays at the top of the document (the skip link comes first).
function focusHeading(main, title) {
  document.title = `${title} · sisbridge`;
  const heading = main.querySelector("h1");
  state.rendered += 1;
  if (heading && state.rendered > 1) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: false });
  }
}

function showFatal(main, error) {
  if (error instanceof ApiError && error.status === 401) return;
  clear(main, h("h1", {}, "sisbridge could not load this page"),
    h("div", { class: "error-box", role: "alert" },
      h("p", { class: "error-message" }, error.message),
      error.hint ? h("p", { class: "error-hint" }, h("span", { class: "hint-label" }, "How to fix: "), error.hint) : null));
  focusHeading(main, "Error");
}

async function boot() {
  configureApi({
    token,
    unauthenticated: () => app.signOut("Your sign-in has expired or is not valid. Sign in again."),
  });
  document.querySelector(".skip-link").addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("main").focus();
  });
  if (config.signIn === "local") {
    try { state.localConfig = await api.localConfig(); } catch { state.localConfig = null; }
  }
  window.addEventListener("hashchange", () => {
    if (location.hash.startsWith("#/") || location.hash === "") render();
  });
  await render();
  document.documentElement.dataset.ready = "true";
  announce("");
}

boot();
