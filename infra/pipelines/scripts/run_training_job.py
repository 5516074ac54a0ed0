"""CD stage Train: start the training job with the declared parameters and wait for its result.

  run_training_job.py --host URL --job-id N [--lr X] [--epochs N] [--batch_size N] [--optimizer adam|sgd]
The parameters are the job parameters of infra/databricks/resources/train.job.yml, with the names
declared in mlops.config.yaml. Sets the output variables MODEL_VERSION and MLFLOW_RUN_ID from the
MLOPS_RESULT line train.py prints; exits 1 with the termination details when the run fails.
"""
import argparse
import json
import sys
import time

import rest

RESULT_MARKER = "MLOPS_RESULT "
DECLARED = ("lr", "epochs", "batch_size", "optimizer")


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", required=True, help="workspace URL, e.g. https://adb-123.4.azuredatabricks.net")
    p.add_argument("--job-id", type=int, required=True)
    for name in DECLARED:
        p.add_argument(f"--{name}", help=f"job parameter {name} (default: the job's)")
    p.add_argument("--poll-seconds", type=float, default=30)
    p.add_argument("--timeout-seconds", type=float, default=3 * 3600)
    return p.parse_args(argv)


def latest_attempt(tasks, key="train"):
    """A retried task appears once per attempt with the same task_key: the highest attempt_number wins."""
    mine = [t for t in tasks if t.get("task_key") == key] or tasks
    return max(mine, key=lambda t: (t.get("attempt_number", 0), t.get("run_id", 0))) if mine else None


def result_of(logs):
    for line in reversed((logs or "").splitlines()):
        if line.startswith(RESULT_MARKER):
            return json.loads(line[len(RESULT_MARKER):])
    return None


def main(argv, call=rest.call, sleep=time.sleep, clock=time.monotonic):
    args = parse_args(argv)
    base = args.host.rstrip("/")
    params = {n: str(getattr(args, n)) for n in DECLARED if getattr(args, n) is not None}
    run_id = call("POST", f"{base}/api/2.2/jobs/run-now", {"job_id": args.job_id, "job_parameters": params})["run_id"]
    print(f"Run {run_id} started with {params}", flush=True)
    deadline = clock() + args.timeout_seconds
    while True:
        run = call("GET", f"{base}/api/2.2/jobs/runs/get", query={"run_id": run_id})
        status = run.get("status", {})
        print(f"Run {run_id} state: {status.get('state')}", flush=True)
        if status.get("state") == "TERMINATED":
            break
        if clock() > deadline:
            print(f"##vso[task.logissue type=error]Run {run_id} still {status.get('state')} after {args.timeout_seconds} s", flush=True)
            return 1
        sleep(args.poll_seconds)
    details = status.get("termination_details", {})
    task = latest_attempt(run.get("tasks", []))
    output = call("GET", f"{base}/api/2.2/jobs/runs/get-output", query={"run_id": task["run_id"]}) if task else {}
    if details.get("code") != "SUCCESS":
        print(f"##vso[task.logissue type=error]Training run {run_id} ended {details.get('code')}: {details.get('message', '')} {output.get('error', '')}".rstrip(), flush=True)
        return 1
    result = result_of(output.get("logs"))
    if not result or not result.get("model_version"):
        print("##vso[task.logissue type=error]Training succeeded without an MLOPS_RESULT line naming the model version", flush=True)
        return 1
    rest.set_output("MODEL_VERSION", result["model_version"])
    rest.set_output("MLFLOW_RUN_ID", result["mlflow_run_id"])
    # Output variables cannot be read through the REST API; a tag can: the bot's relayed approval
    # card reads it to show the version and its metrics against what is live.
    rest.add_build_tag(f"model-version-{result['model_version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
