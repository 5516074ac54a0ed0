"""CD stage Register: wait until the version training registered is READY and say which image serves it.

  wait_for_model_version.py --host URL --registry unity-catalog|workspace|mlflow --name NAME --version N
A new version is PENDING_REGISTRATION until its files are copied; FAILED_REGISTRATION fails the stage.
Sets the output variable SCORING_IMAGE from the version's scoring_image tag (required to deploy).
"""
import argparse
import sys
import time

import rest

PREFIX = {"unity-catalog": "/api/2.0/mlflow/unity-catalog", "workspace": "/api/2.0/mlflow", "mlflow": "/api/2.0/mlflow"}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", required=True, help="workspace URL, or the MLflow server for registry mlflow")
    p.add_argument("--registry", choices=sorted(PREFIX), default="unity-catalog")
    p.add_argument("--name", required=True)
    p.add_argument("--version", required=True)
    p.add_argument("--poll-seconds", type=float, default=10)
    p.add_argument("--attempts", type=int, default=60)
    return p.parse_args(argv)


def main(argv, call=rest.call, sleep=time.sleep):
    args = parse_args(argv)
    url = args.host.rstrip("/") + PREFIX[args.registry] + "/model-versions/get"
    for _ in range(args.attempts):
        mv = call("GET", url, query={"name": args.name, "version": args.version}).get("model_version", {})
        status = mv.get("status")
        print(f"{args.name} version {args.version}: {status}", flush=True)
        if status == "READY":
            tags = {t.get("key"): t.get("value") for t in mv.get("tags", [])}
            image = tags.get("scoring_image")
            if not image:
                print(f"##vso[task.logissue type=error]{args.name} version {args.version} has no scoring_image tag", flush=True)
                return 1
            rest.set_output("SCORING_IMAGE", image)
            return 0
        if status == "FAILED_REGISTRATION":
            print(f"##vso[task.logissue type=error]Registration failed: {mv.get('status_message', '')}", flush=True)
            return 1
        sleep(args.poll_seconds)
    print("##vso[task.logissue type=error]The version never became READY", flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
