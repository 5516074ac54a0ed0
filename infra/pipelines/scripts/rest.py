"""Small JSON-over-HTTPS client for the CD scripts (stdlib only: the agent needs no extra package).

Bearer token from DATABRICKS_TOKEN; retries 429/502/503/504 honouring Retry-After, with jitter.
"""
import json
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request

RETRYABLE = {429, 502, 503, 504}


class ApiError(Exception):
    def __init__(self, status, body):
        self.status, self.body = status, body
        super().__init__(f"HTTP {status}: {body.get('error_code', '')} {body.get('message', '')}".strip())


def call(method, url, body=None, query=None, token=None, attempts=5, timeout=30, sleep=time.sleep):
    token = token if token is not None else os.environ.get("DATABRICKS_TOKEN", "")
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json", **({"authorization": f"Bearer {token}"} if token else {})}
    for attempt in range(attempts):
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310 (https URL from config)
                return json.loads(res.read() or b"{}")
        except urllib.error.HTTPError as err:
            payload = err.read()
            try:
                parsed = json.loads(payload or b"{}")
            except ValueError:
                parsed = {"message": payload.decode("utf-8", "replace")[:200]}
            if err.code not in RETRYABLE or attempt == attempts - 1:
                raise ApiError(err.code, parsed) from None
            retry_after = err.headers.get("retry-after")
            delay = float(retry_after) if retry_after and retry_after.isdigit() else min(30.0, 2 ** attempt)
            sleep(delay * (0.8 + 0.4 * random.random()))
    raise AssertionError("unreachable")


def add_build_tag(tag):
    """A tag on the pipeline run (logging command `build.addbuildtag`): Builds - Get returns it in `tags`."""
    print(f"##vso[build.addbuildtag]{tag}", flush=True)


def set_output(name, value):
    """An Azure Pipelines output variable (logging command `task.setvariable`)."""
    print(f"##vso[task.setvariable variable={name};isOutput=true]{value}", flush=True)
