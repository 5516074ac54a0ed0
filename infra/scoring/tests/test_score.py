import json
import os

import pytest
import torch

import score
from mlops_training.model import FashionCnn

ROW = [0.5] * 784


def body(obj):
    return json.dumps(obj).encode()


def test_accepts_the_documented_contract():
    x = score.parse_inputs(body({"inputs": [ROW, [0] * 784]}))
    assert tuple(x.shape) == (2, 784)


@pytest.mark.parametrize("raw,message", [
    (b"not json", "not JSON"),
    (body({"data": [ROW]}), '{"inputs"'),
    (body({"inputs": []}), "1 to 64 rows"),
    (body({"inputs": [[0.1] * 8]}), "784 numbers"),
    (body({"inputs": [ROW[:-1] + ["x"]]}), "from 0.0 to 1.0"),
    (body({"inputs": [ROW[:-1] + [2.0]]}), "from 0.0 to 1.0"),
    (body({"inputs": [ROW[:-1] + [True]]}), "from 0.0 to 1.0"),
    (body({"inputs": [ROW] * 65}), "1 to 64 rows"),
])
def test_refuses_what_does_not_fit_the_model(raw, message):
    with pytest.raises(score.BadInput, match=message if message[0] != "{" else None):
        score.parse_inputs(raw)


def pinned_dir(tmp_path, name="main.mlops.fashion_cnn", version="3"):
    os.makedirs(tmp_path / "extra_files")
    torch.save(FashionCnn().state_dict(), tmp_path / "extra_files" / "weights.pt")
    (tmp_path / "pinned.json").write_text(json.dumps({"name": name, "version": version}))
    return str(tmp_path)


def test_serves_only_the_pinned_version(tmp_path):
    d = pinned_dir(tmp_path)
    model = score.load_pinned(d, "main.mlops.fashion_cnn", "3")
    out = score.predict(model, score.parse_inputs(body({"inputs": [ROW]})))
    assert abs(sum(out[0]["probabilities"]) - 1) < 1e-4 and out[0]["label"] in score.CLASSES
    with pytest.raises(SystemExit, match="not main.mlops.fashion_cnn version 4"):
        score.load_pinned(d, "main.mlops.fashion_cnn", "4")
    with pytest.raises(SystemExit, match="required"):
        score.load_pinned(d, "main.mlops.fashion_cnn", "")
