# Inputs. Only the first five have no default; terraform.tfvars.example shows a complete set.

variable "project_id" {
  description = "The Google Cloud project sisbridge runs in (a dedicated project is recommended). Becomes GOOGLE_CLOUD_PROJECT."
  type        = string
}

variable "domain" {
  description = "The host name the console and API are served on, e.g. sisbridge.district.org. Point its DNS A record at the output load_balancer_ip; Google then issues the TLS certificate. The OAuth client's authorized JavaScript origin is https://<domain>."
  type        = string
  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain))
    error_message = "domain must be a lower-case DNS name such as sisbridge.district.org (no scheme, no path)."
  }
}

variable "admins" {
  description = "Emails of the people who administer sisbridge (SISBRIDGE_ADMINS); each becomes an admin of their own Google Workspace domain."
  type        = list(string)
  validation {
    condition     = length(var.admins) > 0 && alltrue([for e in var.admins : can(regex("^[^@\\s,]+@[^@\\s,]+$", e))])
    error_message = "admins must list at least one email address."
  }
}

variable "oauth_client_id" {
  description = "The OAuth 2.0 web client id the console signs in with (Google Identity Services), e.g. 1234-abc.apps.googleusercontent.com. Every ID token must carry it as its audience (SISBRIDGE_AUDIENCE)."
  type        = string
  validation {
    condition     = endswith(var.oauth_client_id, ".apps.googleusercontent.com")
    error_message = "oauth_client_id must be an OAuth client id ending in .apps.googleusercontent.com."
  }
}

variable "region" {
  description = "Region of the functions, the task queue, the scheduler job and the serverless network endpoint groups (SISBRIDGE_REGION)."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Location of the Firestore database: a multi-region (nam5, eur3) or a region. Cannot be changed after creation."
  type        = string
  default     = "nam5"
}

variable "classroom_delegation_sa_email" {
  description = "An existing service account to read Google Classroom as each teacher by domain-wide delegation (SISBRIDGE_CLASSROOM_SA_EMAIL). Empty: Terraform creates sisbridge-classroom@<project>. Either way a Workspace admin must authorize its client id (output classroom_delegation_client_id) for the output classroom_delegation_scopes."
  type        = string
  default     = ""
}

variable "schedule_cron" {
  description = "When the scheduled export of every linked class runs (Cloud Scheduler cron syntax). Runs in one hour share a slot, so a second run within the hour enqueues nothing twice."
  type        = string
  default     = "0 5 * * *"
}

variable "schedule_time_zone" {
  description = "Time zone of schedule_cron (tz database name)."
  type        = string
  default     = "America/New_York"
}

variable "console_bucket_name" {
  description = "Globally unique name of the bucket that holds the console's static files. Empty: <project_id>-sisbridge-console."
  type        = string
  default     = ""
}

variable "source_bucket_name" {
  description = "Globally unique name of the private bucket that holds the function bundles. Empty: <project_id>-sisbridge-sources."
  type        = string
  default     = ""
}

variable "console_dir" {
  description = "The console's static files, uploaded as they are (relative to this directory). A missing folder uploads nothing."
  type        = string
  default     = "../console"
}

variable "build_dir" {
  description = "Where `make package` wrote connect.zip, export.zip and disconnect.zip (relative to this directory)."
  type        = string
  default     = "../build"
}

variable "python_runtime" {
  description = "Cloud Functions runtime; the bundles are tested on Python 3.11."
  type        = string
  default     = "python311"
}

variable "tasks_queue_name" {
  description = "Cloud Tasks queue of export tasks (SISBRIDGE_TASKS_QUEUE). A deleted queue's name cannot be reused for about 7 days."
  type        = string
  default     = "sisbridge-exports"
}

variable "export_max_instances" {
  description = "Most instances of the export function; at least the queue's max concurrent dispatches (20) plus room for teachers."
  type        = number
  default     = 30
}

variable "log_level" {
  description = "SISBRIDGE_LOG_LEVEL of the functions."
  type        = string
  default     = "INFO"
}

variable "alert_emails" {
  description = "Who is emailed when exports fail (the failed-exports alert). Empty: the alert only shows in Cloud Monitoring."
  type        = list(string)
  default     = []
}

variable "rate_limit_per_minute" {
  description = "Requests per minute one client IP may send to the load balancer before Cloud Armor answers 429."
  type        = number
  default     = 1200
}
