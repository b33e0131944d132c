# State (Firestore), the export queue (Cloud Tasks) and the schedule (Cloud Scheduler).

resource "google_firestore_database" "default" {
  name                              = "(default)" # the database firestore.Client(project=...) opens
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED" # 7 days of recoverable history: grades are not to be lost
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON" # `terraform destroy` never deletes the district's data
  depends_on                        = [google_project_service.enabled]
}

# Run history of a course, newest first: tenants/{t}/runs where course_id == X order by created_at desc
# (export_store.ExportRunRepository.for_course). Every other query sisbridge makes uses a single
# field, which Firestore indexes by itself.
resource "google_firestore_index" "runs_by_course" {
  database    = google_firestore_database.default.name
  collection  = "runs"
  query_scope = "COLLECTION"
  fields {
    field_path = "course_id"
    order      = "ASCENDING"
  }
  fields {
    field_path = "created_at"
    order      = "DESCENDING"
  }
}

# No TTL policy yet: export runs carry no expiry field. Follow-up (docs/deploy.md): write
# `expire_at` on each run, then add a google_firestore_field with ttl_config on runs.expire_at.

resource "google_cloud_tasks_queue" "exports" {
  name     = var.tasks_queue_name
  location = var.region

  # Queue-wide pace. Each class export also bounds its own SIS requests in flight (the vendor
  # profile's concurrency, 5-8), so 20 classes at once stays well inside what SIS vendors allow.
  rate_limits {
    max_dispatches_per_second = 5
    max_concurrent_dispatches = 20
  }

  # A delivery answered with a non-2xx status (SIS or Classroom unavailable, another run holding
  # the class) is retried with backoff: 10 s, 20 s, 40 s, 80 s, 160 s, then every 300 s. Writes
  # already acknowledged are in the class ledger, so a retry resumes instead of repeating them.
  retry_config {
    max_attempts       = 10
    min_backoff        = "10s"
    max_backoff        = "300s"
    max_doublings      = 4
    max_retry_duration = "7200s"
  }

  stackdriver_logging_config {
    sampling_ratio = 1.0 # log every dispatch attempt: these are the export audit trail
  }

  depends_on = [google_project_service.enabled]
}

resource "google_cloud_scheduler_job" "export_schedule" {
  name             = "sisbridge-export-schedule"
  description      = "Queues an export of every linked class of every authorized district (POST /export/schedule)."
  region           = var.region
  schedule         = var.schedule_cron
  time_zone        = var.schedule_time_zone
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = local.schedule_url
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.worker_url # the one audience the export function accepts from machines
    }
  }

  depends_on = [google_project_service.enabled]
}
