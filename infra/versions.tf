# sisbridge on Google Cloud: three Cloud Functions (2nd gen) behind one HTTPS load balancer that also
# serves the admin/teacher console, Firestore, Secret Manager, Cloud Tasks and Cloud Scheduler.
# Build the function bundles first (`make package` → build/<fn>.zip), then `terraform apply`.
# Step by step: docs/deploy.md.

terraform {
  required_version = ">= 1.5"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.10, < 8.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

data "google_project" "this" {
  project_id = var.project_id
}
