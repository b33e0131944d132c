"""Cloud Function `export`: grade export runs (the export pipeline arrives with its own issue)."""

import flask
import functions_framework

from sisbridge.api.export import router
from sisbridge.http import endpoint


@functions_framework.http
@endpoint
def export(request: flask.Request) -> object:
    return router.dispatch(request)
