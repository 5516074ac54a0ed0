#!/bin/sh
# Download the pinned version, then serve it; a failed download stops the container (ACI shows the log).
set -eu
python /app/fetch_model.py
exec python /app/score.py
