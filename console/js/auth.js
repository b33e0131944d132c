// Who is signed in. The token is the bearer sisbridge verifies: a Google ID token in the cloud
// (Google Identity Services), a locally minted one on the local stack. It is kept for the browser
// tab only (sessionStorage) and dropped when it expires.
import config from "../config.js";

const KEY = "sisbridge.session";
export const GIS_SRC = "https://accounts.google.com/gsi/client";

export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const padded = part + "=".repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}

export function currentSession() {
  let session = null;
  try { session = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch { session = null; }
  if (!session || !session.token) return null;
  const { exp } = claims(session.token);
  if (exp && exp * 1000 < Date.now() + 30_000) {
    signOut();
    return null;
  }
  return session;
}

export function saveSession(token, mode) {
  const { email, name } = claims(token);
  const session = { token, mode, email: email || "", name: name || "" };
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  if (config.signIn === "google" && window.google?.accounts?.id) window.google.accounts.id.disableAutoSelect();
}

export function token() {
  return currentSession()?.token || null;
}

let gisLoading = null;
function loadGis() {
  if (window.google?.accounts?.id) return Promise.resolve();
  if (!gisLoading) {
    gisLoading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = GIS_SRC;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => { gisLoading = null; reject(new Error("Google sign-in could not be loaded.")); };
      document.head.append(script);
    });
  }
  return gisLoading;
}

// Render Google's "Sign in with Google" button into `container`; `onToken(idToken)` gets the
// credential. Resolves once the button is there.
export async function renderGoogleButton(container, onToken) {
  if (!config.googleClientId) throw new Error("config.js has no googleClientId: Google sign-in is not set up.");
  await loadGis();
  window.google.accounts.id.initialize({
    client_id: config.googleClientId,
    callback: (response) => onToken(response.credential),
    auto_select: false,
    cancel_on_tap_outside: true,
    ux_mode: "popup",
  });
  window.google.accounts.id.renderButton(container, {
    type: "standard", theme: "outline", size: "large", text: "signin_with", shape: "rectangular",
  });
}
