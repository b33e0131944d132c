#!/usr/bin/env bash
# Start the local Google emulators on free loopback ports and print the environment to export:
#   Firestore (the gcloud SDK's emulator jar, needs java) and Secret Manager (drongo, REST only;
#   its own venv .venv-drongo is built on first use). Ctrl-C stops them.
#
#   infra/emulators/start.sh                 # both
#   infra/emulators/start.sh firestore       # or: secretmanager
#
# The contract tests start their own copies; this is for running the functions locally against
# the real Google client libraries instead of the embedded adapters.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec "${PYTHON:-.venv/bin/python}" tests/emulators.py "$@"
