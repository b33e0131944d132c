# One HTTPS origin for everything people and machines call: https://<domain>/ serves the console's
# static files from a bucket, /connect, /export and /disconnect go to the functions.
#
# Why a load balancer and not the bucket's own public URL:
#   * the console calls the API from the browser and the API sends no CORS headers: one origin
#     for both needs no CORS at all;
#   * Google Identity Services gives ID tokens to the page's origin; storage.googleapis.com is
#     shared with every public bucket in the world, so registering it as the OAuth client's
#     JavaScript origin would let any of them obtain tokens for sisbridge's audience;
#   * a Google-managed certificate on the district's own name, TLS 1.2+, HTTP redirected to HTTPS,
#     and Cloud Armor in front of the functions, whose ingress admits only the load balancer.
# It costs a forwarding rule (about 18 USD a month) and a DNS record.

resource "google_compute_global_address" "edge" {
  name       = "sisbridge-edge"
  depends_on = [google_project_service.enabled]
}

resource "google_compute_managed_ssl_certificate" "edge" {
  name = "sisbridge-edge"
  managed {
    domains = [var.domain]
  }
  lifecycle {
    create_before_destroy = true
  }
  depends_on = [google_project_service.enabled]
}

resource "google_compute_ssl_policy" "edge" {
  name            = "sisbridge-edge"
  profile         = "RESTRICTED"
  min_tls_version = "TLS_1_2"
  depends_on      = [google_project_service.enabled]
}

resource "google_compute_security_policy" "edge" {
  name        = "sisbridge-edge"
  description = "In front of the functions: known exploit probes refused, one client IP throttled."

  rule {
    action      = "deny(403)"
    priority    = 1000
    description = "Log4j (CVE-2021-44228) probes"
    match {
      expr {
        expression = "evaluatePreconfiguredWaf('cve-canary')"
      }
    }
  }

  rule {
    action      = "throttle"
    priority    = 2000
    description = "Per client IP request budget"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
    rate_limit_options {
      conform_action = "allow"
      exceed_action  = "deny(429)"
      enforce_on_key = "IP"
      rate_limit_threshold {
        count        = var.rate_limit_per_minute
        interval_sec = 60
      }
    }
  }

  rule {
    action      = "allow"
    priority    = 2147483647
    description = "Everything else"
    match {
      versioned_expr = "SRC_IPS_V1"
      config {
        src_ip_ranges = ["*"]
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_compute_region_network_endpoint_group" "function" {
  for_each = {
    connect    = google_cloudfunctions2_function.connect.name
    export     = google_cloudfunctions2_function.export.name
    disconnect = google_cloudfunctions2_function.disconnect.name
  }
  name                  = "sisbridge-${each.key}"
  region                = var.region
  network_endpoint_type = "SERVERLESS"
  cloud_run {
    service = each.value # a 2nd gen function is a Cloud Run service of the same name
  }
}

resource "google_compute_backend_service" "function" {
  for_each              = google_compute_region_network_endpoint_group.function
  name                  = "sisbridge-${each.key}"
  protocol              = "HTTPS"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  security_policy       = google_compute_security_policy.edge.id

  backend {
    group = each.value.id
  }

  log_config {
    enable      = true
    sample_rate = 1.0
  }
}

resource "google_compute_backend_bucket" "console" {
  name        = "sisbridge-console"
  description = "The console's static files."
  bucket_name = google_storage_bucket.console.name
  enable_cdn  = false # the files are small and change with each release; no cache to invalidate

  # The policy the local stack serves the console with (shared/sisbridge/local_stack.py
  # CONSOLE_HEADERS; tests/infra checks they agree): Google Identity Services is the only other origin.
  custom_response_headers = [
    "Content-Security-Policy: default-src 'self'; script-src 'self' https://accounts.google.com/gsi/client; style-src 'self' https://accounts.google.com/gsi/style; frame-src https://accounts.google.com/gsi/; connect-src 'self' https://accounts.google.com/gsi/; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
    "X-Content-Type-Options: nosniff",
    "Referrer-Policy: no-referrer",
    "Strict-Transport-Security: max-age=31536000",
  ]
}

resource "google_compute_url_map" "edge" {
  name            = "sisbridge-edge"
  default_service = google_compute_backend_bucket.console.id

  host_rule {
    hosts        = [var.domain]
    path_matcher = "sisbridge"
  }

  path_matcher {
    name            = "sisbridge"
    default_service = google_compute_backend_bucket.console.id

    # The functions see the full path and strip their own name (sisbridge.http.Router), as they do
    # behind the local stack.
    path_rule {
      paths   = ["/connect", "/connect/*"]
      service = google_compute_backend_service.function["connect"].id
    }
    path_rule {
      paths   = ["/export", "/export/*"]
      service = google_compute_backend_service.function["export"].id
    }
    path_rule {
      paths   = ["/disconnect", "/disconnect/*"]
      service = google_compute_backend_service.function["disconnect"].id
    }
  }
}

resource "google_compute_target_https_proxy" "edge" {
  name             = "sisbridge-edge"
  url_map          = google_compute_url_map.edge.id
  ssl_certificates = [google_compute_managed_ssl_certificate.edge.id]
  ssl_policy       = google_compute_ssl_policy.edge.id
}

resource "google_compute_global_forwarding_rule" "https" {
  name                  = "sisbridge-https"
  ip_address            = google_compute_global_address.edge.address
  port_range            = "443"
  target                = google_compute_target_https_proxy.edge.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

resource "google_compute_url_map" "http_to_https" {
  name = "sisbridge-http-to-https"
  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}

resource "google_compute_target_http_proxy" "http_to_https" {
  name    = "sisbridge-http-to-https"
  url_map = google_compute_url_map.http_to_https.id
}

resource "google_compute_global_forwarding_rule" "http" {
  name                  = "sisbridge-http"
  ip_address            = google_compute_global_address.edge.address
  port_range            = "80"
  target                = google_compute_target_http_proxy.http_to_https.id
  load_balancing_scheme = "EXTERNAL_MANAGED"
}

# ------------------------------------------------------------------------------------------ console

resource "google_storage_bucket" "console" {
  #checkov:skip=CKV_GCP_114:The console is public static HTML/JS/CSS that the load balancer's backend bucket serves anonymously; public access prevention would block it. It holds no data
  #checkov:skip=CKV_GCP_62:Every request is logged by the load balancer (and Cloud Audit Logs record writes); a usage-log bucket would duplicate that
  name                        = local.console_bucket
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "inherited"
  force_destroy               = true # only copies of files from the repository

  versioning {
    enabled = true # a bad upload can be rolled back object by object
  }

  website {
    main_page_suffix = "index.html"
    not_found_page   = "index.html"
  }

  lifecycle_rule {
    condition {
      num_newer_versions = 5
      with_state         = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_storage_bucket_iam_member" "console_public" {
  #checkov:skip=CKV_GCP_28:Only the console's static files live in this bucket, and a load balancer backend bucket reads them anonymously; no grade, roster or secret is ever stored here
  bucket = google_storage_bucket.console.name
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}

locals {
  # config.js is written below for this deployment, never uploaded from the folder (the folder's
  # own is the local stack's).
  console_files = fileexists("${local.console_dir}/index.html") ? setsubtract(fileset(local.console_dir, "**"), ["config.js"]) : toset([])
  content_types = {
    html = "text/html; charset=utf-8", js = "text/javascript; charset=utf-8", mjs = "text/javascript; charset=utf-8",
    css = "text/css; charset=utf-8", json = "application/json", svg = "image/svg+xml", png = "image/png",
    ico = "image/x-icon", txt = "text/plain; charset=utf-8", webmanifest = "application/manifest+json",
  }
  # The console's settings (console/config.js): the API on the same origin, Google sign-in.
  console_config = {
    apiBase        = ""
    functionUrls   = {}
    signIn         = "google"
    googleClientId = var.oauth_client_id
    pollIntervalMs = 2000
  }
}

resource "google_storage_bucket_object" "console" {
  for_each      = local.console_files
  bucket        = google_storage_bucket.console.name
  name          = each.value
  source        = "${local.console_dir}/${each.value}"
  content_type  = lookup(local.content_types, lower(element(split(".", each.value), length(split(".", each.value)) - 1)), "application/octet-stream")
  cache_control = "no-cache" # revalidate on every load, so a release shows at once
}

resource "google_storage_bucket_object" "console_config" {
  bucket        = google_storage_bucket.console.name
  name          = "config.js"
  content_type  = "text/javascript; charset=utf-8"
  cache_control = "no-cache"
  content       = "// Written by infra/edge.tf for ${var.domain}; console/config.js is the local stack's.\nexport default ${jsonencode(local.console_config)};\n"
}
