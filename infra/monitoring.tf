# Failed exports: a log-based metric over the export function's logs and an alert on it.
# services/export.py logs "export failed: {...}" when a run ends failed, and anything the function
# logs at ERROR or above (unexpected exceptions, non-retryable 5xx answers) counts too.

resource "google_logging_metric" "export_failures" {
  name        = "sisbridge/export_failures"
  description = "Export runs that ended failed, and errors logged by the export function."
  filter      = <<-EOT
    resource.type="cloud_run_revision"
    resource.labels.service_name="${google_cloudfunctions2_function.export.name}"
    (jsonPayload.message=~"^export failed" OR severity>=ERROR)
  EOT

  metric_descriptor {
    metric_kind  = "DELTA"
    value_type   = "INT64"
    unit         = "1"
    display_name = "sisbridge failed exports"
    labels {
      key         = "tenant"
      value_type  = "STRING"
      description = "The district (Workspace domain) of the run"
    }
  }
  label_extractors = {
    tenant = "EXTRACT(jsonPayload.tenant)"
  }

  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_notification_channel" "email" {
  for_each     = toset(var.alert_emails)
  display_name = "sisbridge alerts: ${each.value}"
  type         = "email"
  labels = {
    email_address = each.value
  }
  depends_on = [google_project_service.enabled]
}

resource "google_monitoring_alert_policy" "export_failures" {
  display_name = "sisbridge: exports failing"
  combiner     = "OR"
  severity     = "ERROR"

  conditions {
    display_name = "Failed exports in the last 5 minutes"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.export_failures.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.tenant"]
      }
      trigger {
        count = 1
      }
    }
  }

  alert_strategy {
    auto_close = "86400s"
  }

  notification_channels = [for channel in google_monitoring_notification_channel.email : channel.id]

  documentation {
    mime_type = "text/markdown"
    subject   = "sisbridge: exports failing"
    content   = <<-EOT
      Export runs are ending failed (or the export function logged errors).
      Runbook: docs/operations.md, "Reading logs and the failed-exports alert". In Logs Explorer:
      `resource.type="cloud_run_revision" resource.labels.service_name="export" (jsonPayload.message=~"^export failed" OR severity>=ERROR)`;
      the entry's `run_id`, `course_id` and `tenant` lead to the run (GET /export/courses/{course_id}/exports/{run_id}).
    EOT
  }
}
