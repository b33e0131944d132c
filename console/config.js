// Deployment settings of the sisbridge console. The console is plain static files: to host it
// elsewhere (Firebase Hosting, a bucket behind a load balancer), replace only this file.
export default {
  // Where the Cloud Functions answer. "" is the page's own origin: the local stack
  // (`make run`), or static hosting that rewrites /connect, /export and /disconnect to the functions.
  apiBase: "",
  // Per-function base URLs, when each function has its own address (2nd gen functions / Cloud Run),
  // e.g. { connect: "https://connect-abc123-uc.a.run.app", export: "…", disconnect: "…" }.
  functionUrls: {},
  // "local": the local stack's sign-in (POST /local/sign-in, never deployed);
  // "google": Google Identity Services, whose ID token is sent as the bearer token.
  signIn: "local",
  // The OAuth client id for "google" sign-in; sisbridge's SISBRIDGE_AUDIENCE must be the same value.
  googleClientId: "",
  // How often a running export's progress is read.
  pollIntervalMs: 500,
};
