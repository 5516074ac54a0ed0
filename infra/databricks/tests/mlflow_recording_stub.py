"""Recording stand-in of the few mlflow calls train.py makes (mlflow is not installable here).

It is NOT mlflow: it records each call with its arguments so tests can assert what train.py sends,
and writes the model's extra files where MLflow would put them (<artifacts>/model/extra_files/),
so the scoring test can load what training produced. On Databricks the real library runs.
"""
import os
import shutil
import types
import uuid


class _Run:
    def __init__(self, experiment_id):
        self.info = types.SimpleNamespace(run_id=uuid.uuid4().hex, experiment_id=experiment_id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class RecordingMlflow:
    def __init__(self, artifact_root):
        self.artifact_root = artifact_root
        self.calls = []  # (name, args, kwargs)
        self.versions = {}  # registered model -> last version number
        self.models = types.SimpleNamespace(infer_signature=self._infer_signature)
        self.pytorch = types.SimpleNamespace(log_model=self._log_model)
        self._experiment = None

    def _record(self, name, *args, **kwargs):
        self.calls.append((name, args, kwargs))

    def calls_to(self, name):
        return [(a, k) for n, a, k in self.calls if n == name]

    def set_registry_uri(self, uri):
        self._record("set_registry_uri", uri)

    def set_experiment(self, name):
        self._record("set_experiment", name)
        self._experiment = name

    def start_run(self, run_name=None):
        if self._experiment is None:
            raise AssertionError("start_run before set_experiment: the run would land in the default experiment")
        self._record("start_run", run_name=run_name)
        return _Run(experiment_id=str(abs(hash(self._experiment)) % 10**12))

    def set_tag(self, key, value):
        self._record("set_tag", key, value)

    def log_params(self, params):
        self._record("log_params", dict(params))

    def log_metrics(self, metrics, step=None):
        self._record("log_metrics", dict(metrics), step=step)

    def _infer_signature(self, model_input, model_output):
        self._record("models.infer_signature", model_input.shape, model_output.shape)
        return {"inputs": list(model_input.shape), "outputs": list(model_output.shape)}

    def _log_model(self, model, artifact_path, **kwargs):
        self._record("pytorch.log_model", model, artifact_path, **kwargs)
        target = os.path.join(self.artifact_root, artifact_path, "extra_files")
        os.makedirs(target, exist_ok=True)
        for path in kwargs.get("extra_files") or []:
            shutil.copy(path, target)
        name = kwargs.get("registered_model_name")
        version = None
        if name:
            version = self.versions.get(name, 0) + 1
            self.versions[name] = version
        return types.SimpleNamespace(registered_model_version=version, model_uri=f"runs:/x/{artifact_path}")

    def MlflowClient(self):  # noqa: N802 (mlflow's name)
        return types.SimpleNamespace(set_model_version_tag=lambda *a: self._record("client.set_model_version_tag", *a))
