# Names, URLs and the functions' environment, in one place.

locals {
  functions = ["connect", "export", "disconnect"]

  base_url       = "https://${var.domain}"
  connect_url    = "${local.base_url}/connect"
  export_url     = "${local.base_url}/export"
  disconnect_url = "${local.base_url}/disconnect"
  # Cloud Tasks POSTs each export task here with an OIDC token of the invoker account whose
  # audience is this same URL; Cloud Scheduler's /schedule call uses the same audience. The export
  # function accepts only that audience and that account on both routes (api/export.py).
  worker_url   = "${local.export_url}/tasks/run"
  schedule_url = "${local.export_url}/schedule"
  webhook_url  = "${local.export_url}/webhook"

  console_bucket = var.console_bucket_name != "" ? var.console_bucket_name : "${var.project_id}-sisbridge-console"
  source_bucket  = var.source_bucket_name != "" ? var.source_bucket_name : "${var.project_id}-sisbridge-sources"
  build_dir      = "${path.module}/${var.build_dir}"
  console_dir    = "${path.module}/${var.console_dir}"

  # The Classroom delegation account: the one given, or the one created here (iam.tf).
  classroom_sa_email     = var.classroom_delegation_sa_email != "" ? var.classroom_delegation_sa_email : google_service_account.classroom[0].email
  classroom_sa_name      = var.classroom_delegation_sa_email != "" ? data.google_service_account.classroom_existing[0].name : google_service_account.classroom[0].name
  classroom_sa_client_id = var.classroom_delegation_sa_email != "" ? data.google_service_account.classroom_existing[0].unique_id : google_service_account.classroom[0].unique_id
  # The read-only scopes sisbridge asks for (shared/sisbridge/adapters/classroom_api.py CLASSROOM_SCOPES).
  classroom_scopes = [
    "https://www.googleapis.com/auth/classroom.courses.readonly",
    "https://www.googleapis.com/auth/classroom.rosters.readonly",
    "https://www.googleapis.com/auth/classroom.coursework.students.readonly",
    "https://www.googleapis.com/auth/classroom.profile.emails",
  ]

  # Every function gets the same configuration (shared/sisbridge/config.py checks it as a whole;
  # on Cloud Functions every local default is refused).
  function_env = {
    SISBRIDGE_STORE              = "firestore"
    SISBRIDGE_SECRETS            = "secretmanager"
    SISBRIDGE_TASKS              = "cloudtasks"
    SISBRIDGE_IDENTITY           = "google"
    SISBRIDGE_AUDIENCE           = var.oauth_client_id
    GOOGLE_CLOUD_PROJECT         = var.project_id
    SISBRIDGE_REGION             = var.region
    SISBRIDGE_ADMINS             = join(",", var.admins)
    SISBRIDGE_TASKS_QUEUE        = google_cloud_tasks_queue.exports.name
    SISBRIDGE_WORKER_URL         = local.worker_url
    SISBRIDGE_INVOKER_EMAIL      = google_service_account.invoker.email
    SISBRIDGE_CLASSROOM_SA_EMAIL = local.classroom_sa_email
    SISBRIDGE_LOG_LEVEL          = var.log_level
  }

  # Secret Manager resource names of the tenants' secrets (tenant-<domain>-sis, tenant-<domain>-webhook).
  tenant_secrets_condition = "resource.name.startsWith(\"projects/${data.google_project.this.number}/secrets/tenant-\")"
}

resource "google_project_service" "enabled" {
  for_each = toset([
    "artifactregistry.googleapis.com", # function images
    "classroom.googleapis.com",        # read courses, rosters and grades as each teacher
    "cloudbuild.googleapis.com",       # builds the function bundles
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "cloudtasks.googleapis.com",
    "compute.googleapis.com", # the HTTPS load balancer and Cloud Armor
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # keyless domain-wide delegation (signJwt)
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "run.googleapis.com", # 2nd gen functions run on Cloud Run
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
