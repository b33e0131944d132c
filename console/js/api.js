// The sisbridge API as the console calls it: one function per route, JSON in and out, every
// failure an ApiError carrying the product's {code, message, hint, details}.
import config from "../config.js";

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `sisbridge answered HTTP ${status}.`);
    this.status = status;
    this.code = err.code || "error";
    this.hint = err.hint || "";
    this.details = err.details || {};
    this.field = this.details.field || null;
    this.sis = err.sis || null;
  }
}

let tokenSource = () => null;
let onUnauthenticated = () => {};

export function configureApi({ token, unauthenticated }) {
  tokenSource = token;
  onUnauthenticated = unauthenticated;
}

function base() {
  return (config.apiBase || "").replace(/\/+$/, "");
}

export function functionUrl(name, path = "") {
  const own = config.functionUrls && config.functionUrls[name];
  return `${own ? own.replace(/\/+$/, "") : `${base()}/${name}`}${path}`;
}

async function send(url, method, body, { auth = true } = {}) {
  const headers = { Accept: "application/json" };
  const token = auth ? tokenSource() : null;
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers, credentials: "omit", cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError(0, { error: { code: "network_error", message: "sisbridge could not be reached.",
      hint: "Check your network connection and that sisbridge is running, then try again." } });
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && auth) onUnauthenticated(error);
    throw error;
  }
  return data;
}

const call = (fn, method, path, body, options) => send(functionUrl(fn, path), method, body, options);
const course = (id) => `/courses/${encodeURIComponent(id)}`;

export const api = {
  // connect (admins)
  partners: () => call("connect", "GET", "/partners", undefined, { auth: false }),
  connection: () => call("connect", "GET", ""),
  connect: (body) => call("connect", "POST", "", body),
  authorize: () => call("connect", "POST", "/authorize"),
  setPermissions: (enabled) => call("connect", "PUT", "/permissions", { teacher_export_enabled: enabled }),
  rotateWebhookSecret: () => call("connect", "POST", "/webhook-secret"),
  audit: () => call("connect", "GET", "/audit"),
  disconnect: () => call("disconnect", "POST", ""),
  // export (teachers, admins)
  courses: () => call("export", "GET", "/courses"),
  candidates: (id) => call("export", "GET", `${course(id)}/candidates`),
  link: (id, classSourcedId) => call("export", "PUT", `${course(id)}/link`, { class_sourced_id: classSourcedId }),
  unlink: (id) => call("export", "DELETE", `${course(id)}/link`),
  preview: (id, full = false) => call("export", "POST", `${course(id)}/exports`, { dry_run: true, full }),
  startExport: (id, full = false) => call("export", "POST", `${course(id)}/exports`, { full }),
  runs: (id) => call("export", "GET", `${course(id)}/exports`),
  run: (id, runId) => call("export", "GET", `${course(id)}/exports/${encodeURIComponent(runId)}`),
  overview: () => call("export", "GET", "/overview"),
  // the local stack only (never deployed)
  localConfig: () => send(`${base()}/local/config`, "GET", undefined, { auth: false }),
  localSignIn: (email, admin) => send(`${base()}/local/sign-in`, "POST", { email, admin }, { auth: false }),
};
