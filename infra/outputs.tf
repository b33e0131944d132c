output "load_balancer_ip" {
  description = "Create a DNS A record <domain> → this address; the TLS certificate is issued once it resolves."
  value       = google_compute_global_address.edge.address
}

output "console_url" {
  description = "The admin and teacher console. Also the OAuth client's authorized JavaScript origin (without the trailing slash)."
  value       = "${local.base_url}/"
}

output "connect_url" {
  description = "The connect function (admins)."
  value       = local.connect_url
}

output "export_url" {
  description = "The export function (teachers, the worker, the schedule, the webhook)."
  value       = local.export_url
}

output "disconnect_url" {
  description = "The disconnect function (admins)."
  value       = local.disconnect_url
}

output "worker_url" {
  description = "Where Cloud Tasks delivers export tasks (SISBRIDGE_WORKER_URL), and the OIDC audience of the worker and schedule calls."
  value       = local.worker_url
}

output "schedule_url" {
  description = "What Cloud Scheduler calls."
  value       = local.schedule_url
}

output "webhook_url" {
  description = "Signed webhooks from the SIS or other systems POST here (docs/operations.md)."
  value       = local.webhook_url
}

output "function_urls" {
  description = "The functions' own URLs: not reachable from the internet (ingress admits only the load balancer); for the Cloud Console."
  value = {
    connect    = google_cloudfunctions2_function.connect.url
    export     = google_cloudfunctions2_function.export.url
    disconnect = google_cloudfunctions2_function.disconnect.url
  }
}

output "classroom_delegation_sa_email" {
  description = "The service account that reads Classroom as each teacher (SISBRIDGE_CLASSROOM_SA_EMAIL)."
  value       = local.classroom_sa_email
}

output "classroom_delegation_client_id" {
  description = "Admin console › Security › API controls › Domain-wide delegation › Add new: this client id…"
  value       = local.classroom_sa_client_id
}

output "classroom_delegation_scopes" {
  description = "…with exactly these OAuth scopes (comma-separated, read-only)."
  value       = join(",", local.classroom_scopes)
}

output "invoker_sa_email" {
  description = "The account whose OIDC tokens the worker and schedule routes accept (SISBRIDGE_INVOKER_EMAIL)."
  value       = google_service_account.invoker.email
}

output "console_bucket" {
  description = "The bucket holding the console's files (gcloud storage rsync target)."
  value       = google_storage_bucket.console.name
}
