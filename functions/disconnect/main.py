"""Cloud Function `disconnect`: stop exports and delete the SIS credentials; history stays."""

import flask
import functions_framework

from sisbridge.api.disconnect import router
from sisbridge.http import endpoint


@functions_framework.http
@endpoint
def disconnect(request: flask.Request) -> object:
    """POST /disconnect."""
    return router.dispatch(request)
