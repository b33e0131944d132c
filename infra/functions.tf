# The three Cloud Functions (2nd gen), each built from its bundle (`make package` → build/<fn>.zip:
# main.py, the sisbridge package, the pinned requirements.txt). The object name carries the
# bundle's MD5, so a changed bundle is a new object and a new revision; an unchanged one is nothing.

resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs written by the deployer; Cloud Audit Logs already record who wrote them, so a separate usage-log bucket adds nothing
  name                        = local.source_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true # only rebuildable bundles live here

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age                = 30
      with_state         = "ARCHIVED"
      num_newer_versions = 3
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_object" "source" {
  for_each     = toset(local.functions)
  bucket       = google_storage_bucket.sources.name
  name         = "${each.key}-${filemd5("${local.build_dir}/${each.key}.zip")}.zip"
  source       = "${local.build_dir}/${each.key}.zip"
  content_type = "application/zip"
}

resource "google_cloudfunctions2_function" "connect" {
  name        = "connect"
  location    = var.region
  description = "Admins connect, check and configure the district's SIS."

  build_config {
    runtime         = var.python_runtime
    entry_point     = "connect"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source["connect"].name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.connect.email
    available_memory               = "512Mi"
    timeout_seconds                = 120 # Authorize makes a few SIS calls with retries
    max_instance_count             = 5
    min_instance_count             = 0
    ingress_settings               = "ALLOW_INTERNAL_AND_GCLB" # reachable only through the load balancer
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
  }

  depends_on = [google_project_iam_member.build, google_project_service.enabled]
}

resource "google_cloudfunctions2_function" "export" {
  name        = "export"
  location    = var.region
  description = "Teachers link and export; Cloud Tasks, Cloud Scheduler and signed webhooks trigger runs."

  build_config {
    runtime         = var.python_runtime
    entry_point     = "export"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source["export"].name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.export.email
    available_memory      = "1Gi"
    # Below Cloud Tasks' default 10 minute dispatch deadline, so a slow class ends (and is retried
    # from its ledger) before Cloud Tasks gives up on the delivery.
    timeout_seconds                = 540
    max_instance_count             = var.export_max_instances
    min_instance_count             = 0
    ingress_settings               = "ALLOW_INTERNAL_AND_GCLB"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
  }

  depends_on = [google_project_iam_member.build, google_project_service.enabled]
}

resource "google_cloudfunctions2_function" "disconnect" {
  name        = "disconnect"
  location    = var.region
  description = "Stops exports and deletes the SIS credentials; history stays."

  build_config {
    runtime         = var.python_runtime
    entry_point     = "disconnect"
    service_account = google_service_account.build.id
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.source["disconnect"].name
      }
    }
  }

  service_config {
    service_account_email          = google_service_account.disconnect.email
    available_memory               = "256Mi"
    timeout_seconds                = 60
    max_instance_count             = 3
    min_instance_count             = 0
    ingress_settings               = "ALLOW_INTERNAL_AND_GCLB"
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_env
  }

  depends_on = [google_project_iam_member.build, google_project_service.enabled]
}

# The load balancer forwards browsers' calls, which carry a Google ID token for the console's
# OAuth client (not for Cloud Run), so Cloud Run must let them through to the function, and every
# route authenticates in the function itself (sisbridge.http.authenticate, the webhook's signature,
# the worker's OIDC check). Ingress above keeps the functions off the internet except through the
# load balancer and its Cloud Armor policy.
resource "google_cloud_run_v2_service_iam_member" "through_load_balancer" {
  for_each = {
    connect    = google_cloudfunctions2_function.connect.name
    export     = google_cloudfunctions2_function.export.name
    disconnect = google_cloudfunctions2_function.disconnect.name
  }
  name     = each.value
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}
