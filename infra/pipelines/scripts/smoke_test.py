"""CD stage Deploy: POST the smoke sample of mlops.config.yaml to the new container and check the answer.

  smoke_test.py --url http://<label>.<region>.azurecontainer.io:5001 --config mlops.config.yaml --model fashion-cnn
Passes on 200 with one prediction per input row whose probabilities sum to 1 (docs/scoring.md).
"""
import argparse
import json
import sys
import urllib.error
import urllib.request


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--url", required=True, help="base URL of the scoring container")
    p.add_argument("--config", default="mlops.config.yaml")
    p.add_argument("--model", default="fashion-cnn", help="model key in mlops.config.yaml")
    p.add_argument("--timeout", type=float, default=30)
    return p.parse_args(argv)


def sample_of(config_path, model):
    import yaml  # PyYAML: pip install pyyaml on the agent (Debian: python3-yaml)

    with open(config_path, encoding="utf-8") as f:
        return yaml.safe_load(f)["models"][model]["smokeTest"]["sample"]


def check(answer, rows):
    preds = answer.get("predictions")
    if not isinstance(preds, list) or len(preds) != rows:
        return f"expected {rows} predictions, got {preds!r:.200}"
    for p in preds:
        probs = p.get("probabilities", [])
        if len(probs) != 10 or abs(sum(probs) - 1) > 1e-3:
            return f"probabilities do not sum to 1: {probs!r:.200}"
    return None


def main(argv):
    args = parse_args(argv)
    sample = sample_of(args.config, args.model)
    req = urllib.request.Request(args.url.rstrip("/") + "/score", data=json.dumps(sample).encode(), method="POST",
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=args.timeout) as res:  # noqa: S310
            answer = json.loads(res.read())
    except urllib.error.HTTPError as err:
        print(f"##vso[task.logissue type=error]POST /score answered HTTP {err.code}: {err.read()[:300]!r}", flush=True)
        return 1
    problem = check(answer, len(sample["inputs"]))
    if problem:
        print(f"##vso[task.logissue type=error]{problem}", flush=True)
        return 1
    print(f"smoke test passed: {[p['label'] for p in answer['predictions']]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
