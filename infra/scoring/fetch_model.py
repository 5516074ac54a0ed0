"""Container start, step 1: download exactly MODEL_NAME version MODEL_VERSION into MODEL_DIR.

The image is built once per commit by CI (infra/pipelines/azure-pipelines.ci.yml); the model files
are downloaded at start with the workspace's credentials (docs/deploy-azure.md, "Scoring image"):
  MODEL_NAME, MODEL_VERSION       the version the bot pinned (never an alias, never "latest")
  MLFLOW_REGISTRY_URI             databricks-uc | databricks | the MLflow server URL
  DATABRICKS_HOST                 the workspace URL (Databricks registries)
  DATABRICKS_TOKEN                optional; without it, a token for the AzureDatabricks resource is
                                  asked from the container group's managed identity (AZURE_CLIENT_ID)
Then writes MODEL_DIR/pinned.json, which score.py checks before serving.
"""
import json
import os
import sys
import urllib.parse
import urllib.request

AZURE_DATABRICKS_RESOURCE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"  # same id in every Azure cloud
IMDS = "http://169.254.169.254/metadata/identity/oauth2/token"


def managed_identity_token(client_id, endpoint=IMDS, timeout=10):
    """Entra token for Azure Databricks from the instance metadata service (ACI managed identity)."""
    query = {"api-version": "2018-02-01", "resource": AZURE_DATABRICKS_RESOURCE}
    if client_id:
        query["client_id"] = client_id
    req = urllib.request.Request(f"{endpoint}?{urllib.parse.urlencode(query)}", headers={"Metadata": "true"})
    with urllib.request.urlopen(req, timeout=timeout) as res:  # noqa: S310 (fixed loopback/IMDS URL)
        token = json.load(res).get("access_token")
    if not token:
        raise SystemExit("the managed identity endpoint answered without access_token")
    return token


def model_uri(name, version):
    if not name or not version or not str(version).isdigit():
        raise SystemExit(f"MODEL_NAME and a numeric MODEL_VERSION are required (got {name!r}, {version!r}): the container serves one pinned version")
    return f"models:/{name}/{version}"


def fetch(env, dest, mlflow=None, imds=IMDS):
    uri = model_uri(env.get("MODEL_NAME", ""), env.get("MODEL_VERSION", ""))
    registry = env.get("MLFLOW_REGISTRY_URI", "databricks-uc")
    if registry.startswith("databricks") and not env.get("DATABRICKS_TOKEN"):
        os.environ["DATABRICKS_TOKEN"] = managed_identity_token(env.get("AZURE_CLIENT_ID", ""), imds)
    if mlflow is None:
        import mlflow  # mlflow-skinny in the image (infra/scoring/requirements.txt)
        import mlflow.artifacts  # noqa: F401
    if registry.startswith("databricks"):
        mlflow.set_tracking_uri("databricks")
    mlflow.set_registry_uri(registry)
    local = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=dest)
    with open(os.path.join(local, "pinned.json"), "w", encoding="utf-8") as f:
        json.dump({"name": env["MODEL_NAME"], "version": str(env["MODEL_VERSION"]), "uri": uri}, f)
    print(f"downloaded {uri} to {local}", flush=True)
    return local


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0)
    fetch(dict(os.environ), os.environ.get("MODEL_DIR", "/model"))
