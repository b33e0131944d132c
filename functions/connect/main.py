"""Cloud Function `connect`: admins connect, check and configure the district's SIS."""

import flask
import functions_framework

from sisbridge.api.connect import router
from sisbridge.http import endpoint


@functions_framework.http
@endpoint
def connect(request: flask.Request) -> object:
    """GET/POST /connect, POST /connect/authorize, PUT /connect/permissions, POST /connect/webhook-secret,
    GET /connect/partners."""
    return router.dispatch(request)
