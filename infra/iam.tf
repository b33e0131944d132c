# Identities and least privilege. One runtime service account per function, each with only what
# its routes use; an invoker account for Cloud Tasks and Cloud Scheduler; a build account; and the
# Classroom delegation account, which holds no Google Cloud role at all (its power is the
# domain-wide delegation a Workspace admin grants it, limited to read-only Classroom scopes).
#
#   function    Firestore       Secret Manager (tenant-* secrets only)        other
#   connect     datastore.user  create, get, add version, access, delete       -
#   export      datastore.user  access (SIS credentials, webhook secret)       enqueue on the export queue; actAs the
#                                                                              invoker (tasks' OIDC); token creator on
#                                                                              the Classroom delegation account
#   disconnect  datastore.user  delete                                         -
#   invoker     -               -                                              run.invoker on export

resource "google_service_account" "connect" {
  account_id   = "sisbridge-connect"
  display_name = "sisbridge connect function"
  description  = "Runtime of the connect function: the SIS connection and its credentials."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "export" {
  account_id   = "sisbridge-export"
  display_name = "sisbridge export function"
  description  = "Runtime of the export function: linking, export runs, the Cloud Tasks worker, schedule and webhook."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "disconnect" {
  account_id   = "sisbridge-disconnect"
  display_name = "sisbridge disconnect function"
  description  = "Runtime of the disconnect function: deletes a tenant's SIS credentials."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "invoker" {
  account_id   = "sisbridge-invoker"
  display_name = "sisbridge task and schedule invoker"
  description  = "Signs the OIDC tokens Cloud Tasks and Cloud Scheduler send to the export worker and schedule routes."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "build" {
  account_id   = "sisbridge-build"
  display_name = "sisbridge function builds"
  description  = "Cloud Build identity that turns the function bundles into images."
  depends_on   = [google_project_service.enabled]
}

resource "google_service_account" "classroom" {
  count        = var.classroom_delegation_sa_email == "" ? 1 : 0
  account_id   = "sisbridge-classroom"
  display_name = "sisbridge Classroom reader (domain-wide delegation)"
  description  = "Holds no project role. A Workspace admin authorizes its client id for read-only Classroom scopes."
  depends_on   = [google_project_service.enabled]
}

data "google_service_account" "classroom_existing" {
  count      = var.classroom_delegation_sa_email == "" ? 0 : 1
  account_id = var.classroom_delegation_sa_email
}

# ---------------------------------------------------------------------------------------- Firestore

resource "google_project_iam_member" "datastore_user" {
  for_each = {
    connect    = google_service_account.connect.member
    export     = google_service_account.export.member
    disconnect = google_service_account.disconnect.member
  }
  project = var.project_id
  role    = "roles/datastore.user"
  member  = each.value
}

# ----------------------------------------------------------------------------------- Secret Manager
# Each tenant's secrets are named tenant-<domain>-sis and tenant-<domain>-webhook (services/connect.py,
# services/sis_session.py). Every permission on an existing secret is limited to that prefix by an IAM
# condition. Creating a secret is authorized on the project, where the new name is not yet known, so
# connect gets secrets.create alone (a role that reads or changes nothing that exists).

resource "google_project_iam_custom_role" "tenant_secret_creator" {
  role_id     = "sisbridgeTenantSecretCreator"
  title       = "sisbridge: create tenant secrets"
  description = "Create (only) a secret; reading and writing it then needs the conditional tenant-secret roles."
  permissions = ["secretmanager.secrets.create"]
}

resource "google_project_iam_custom_role" "tenant_secret_writer" {
  role_id     = "sisbridgeTenantSecretWriter"
  title       = "sisbridge: manage tenant secrets"
  description = "Read, add versions to and delete the tenant-* secrets (granted with a name-prefix condition)."
  permissions = [
    "secretmanager.secrets.get",
    "secretmanager.secrets.delete",
    "secretmanager.versions.add",
    "secretmanager.versions.access",
  ]
}

resource "google_project_iam_custom_role" "tenant_secret_deleter" {
  role_id     = "sisbridgeTenantSecretDeleter"
  title       = "sisbridge: delete tenant secrets"
  description = "Delete the tenant-* secrets (granted with a name-prefix condition)."
  permissions = ["secretmanager.secrets.delete"]
}

resource "google_project_iam_member" "connect_secret_create" {
  project = var.project_id
  role    = google_project_iam_custom_role.tenant_secret_creator.name
  member  = google_service_account.connect.member
}

resource "google_project_iam_member" "connect_tenant_secrets" {
  project = var.project_id
  role    = google_project_iam_custom_role.tenant_secret_writer.name
  member  = google_service_account.connect.member
  condition {
    title       = "tenant secrets only"
    description = "Secrets whose id starts with tenant-"
    expression  = local.tenant_secrets_condition
  }
}

resource "google_project_iam_member" "export_tenant_secrets" {
  project = var.project_id
  role    = "roles/secretmanager.secretAccessor"
  member  = google_service_account.export.member
  condition {
    title       = "tenant secrets only"
    description = "Secrets whose id starts with tenant-"
    expression  = local.tenant_secrets_condition
  }
}

resource "google_project_iam_member" "disconnect_tenant_secrets" {
  project = var.project_id
  role    = google_project_iam_custom_role.tenant_secret_deleter.name
  member  = google_service_account.disconnect.member
  condition {
    title       = "tenant secrets only"
    description = "Secrets whose id starts with tenant-"
    expression  = local.tenant_secrets_condition
  }
}

# ------------------------------------------------------------------------------- export: tasks, OIDC

resource "google_cloud_tasks_queue_iam_member" "export_enqueues" {
  name     = google_cloud_tasks_queue.exports.name
  location = google_cloud_tasks_queue.exports.location
  role     = "roles/cloudtasks.enqueuer"
  member   = google_service_account.export.member
}

# A task with an OIDC token of the invoker needs actAs on the invoker from whoever creates it.
resource "google_service_account_iam_member" "export_acts_as_invoker" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.export.member
}

# Keyless domain-wide delegation: the export function asks the IAM Credentials API to sign the
# delegation grant as the Classroom account (adapters/classroom_api.py DelegatedCredentials).
resource "google_service_account_iam_member" "export_signs_as_classroom" {
  service_account_id = local.classroom_sa_name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.export.member
}

resource "google_cloud_run_v2_service_iam_member" "invoker_calls_export" {
  name     = google_cloudfunctions2_function.export.name
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# --------------------------------------------------------------------------------------------- build

resource "google_project_iam_member" "build" {
  for_each = toset([
    "roles/logging.logWriter",       # build logs
    "roles/artifactregistry.writer", # push the function images (gcf-artifacts)
    "roles/storage.objectViewer",    # read the staged sources (Cloud Functions copies them to its own bucket)
  ])
  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}
