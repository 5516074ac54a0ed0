/**
 * The pipelines the Azure DevOps sandbox knows. The defaults model the MLOpsDatabricks sample:
 * a CI pipeline (lint, unit tests, publish the training artifact) and a CD pipeline (train on
 * Databricks, register in MLflow, deploy to ACI behind an environment approval). Durations are
 * simulated milliseconds on the sandbox clock; log lines are what the real agent would print.
 */
export interface TaskSpec {
  name: string;
  durationMs: number;
  /** Body of the task's log (the sandbox adds the ##[section] start/finish lines and timestamps). */
  lines: string[];
  /** A warning issue this task always reports (shows up in the timeline like a real one). */
  warning?: string;
}

export interface JobSpec {
  name: string;
  displayName: string;
  tasks: TaskSpec[];
}

export interface ApprovalGateSpec {
  environment: string;
  instructions: string;
  minRequiredApprovers: number;
  approvers: Array<{ id: string; displayName: string; uniqueName: string }>;
  /** Simulated ms after which a pending approval times out and the stage fails. */
  timeoutMs: number;
}

export interface StageSpec {
  name: string;
  displayName: string;
  jobs: JobSpec[];
  approval?: ApprovalGateSpec;
}

export interface PipelineSpec {
  id: number;
  name: string;
  folder: string;
  revision: number;
  /** YAML `parameters:` with their defaults; a run that passes any other name is rejected with 400. */
  parameters: Record<string, string>;
  stages: StageSpec[];
}

const s = 1000;

export const APPROVER = { id: '3b3db741-9d03-4e32-a7c0-6c3dfc2013c1', displayName: 'MLOps Approvers', uniqueName: '[mlops]\\MLOps Approvers' };

export function defaultPipelines(): PipelineSpec[] {
  return [
    {
      id: 1,
      name: 'mlops-ci',
      folder: '\\',
      revision: 3,
      parameters: { modelName: 'fashion-cnn' },
      stages: [
        {
          name: 'Build',
          displayName: 'Build',
          jobs: [
            {
              name: 'Lint',
              displayName: 'Lint and static checks',
              tasks: [
                { name: 'Checkout', durationMs: 6 * s, lines: ['Syncing repository: MLOpsDatabricks (Git)', 'git fetch --force --tags --prune --progress --no-recurse-submodules origin', 'HEAD is now at 4d59d25 Merge pull request 42'] },
                { name: 'Use Python 3.11', durationMs: 3 * s, lines: ['Found tool in cache: Python 3.11.9 x64', 'Prepending PATH environment variable with directory: /opt/hostedtoolcache/Python/3.11.9/x64'] },
                { name: 'Install requirements', durationMs: 25 * s, lines: ['/usr/bin/bash --noprofile --norc /home/vsts/work/_temp/install.sh', 'Collecting torch==2.3.1', 'Collecting mlflow==2.14.1', 'Successfully installed mlflow-2.14.1 torch-2.3.1 torchvision-0.18.1'] },
                { name: 'Lint (flake8)', durationMs: 8 * s, lines: ['flake8 --max-line-length 120 src tests', '0 issues found'], warning: 'flake8 config option "max-complexity" is deprecated' },
              ],
            },
          ],
        },
        {
          name: 'Test',
          displayName: 'Test',
          jobs: [
            {
              name: 'UnitTests',
              displayName: 'Unit tests',
              tasks: [
                { name: 'Run unit tests', durationMs: 30 * s, lines: ['python -m pytest tests/unit --junitxml=TEST-unit.xml', 'collected 24 items', 'tests/unit/test_dataset.py ........', 'tests/unit/test_model.py ................', '24 passed in 21.87s'] },
                { name: 'Publish test results', durationMs: 4 * s, lines: ['Publishing test results to test run \'1001\'', 'Test results remaining: 24. Test run id: 1001'] },
              ],
            },
          ],
        },
        {
          name: 'Publish',
          displayName: 'Publish scoring image',
          jobs: [
            {
              name: 'ScoringImage',
              displayName: 'Build and push the scoring image',
              tasks: [
                // The sandbox ACR receives mlopsacr.azurecr.io/mlops-scoring:<sourceVersion> when the run succeeds (sandbox.ts).
                { name: 'Build and push to ACR', durationMs: 40 * s, lines: ['/usr/bin/docker build -f infra/scoring/Dockerfile -t mlopsacr.azurecr.io/mlops-scoring:$(Build.SourceVersion) .', 'Successfully built 3f2c9a1b7d4e', '/usr/bin/docker push mlopsacr.azurecr.io/mlops-scoring:$(Build.SourceVersion)', 'digest: sha256:9b1f0c2d sha256 size: 2419'] },
              ],
            },
          ],
        },
      ],
    },
    {
      id: 2,
      name: 'mlops-cd',
      folder: '\\',
      revision: 5,
      parameters: { modelName: 'fashion-cnn', lr: '0.001', epochs: '5', batch_size: '64', optimizer: 'adam' },
      stages: [
        {
          name: 'Train',
          displayName: 'Train on Databricks',
          jobs: [
            {
              name: 'TrainModel',
              displayName: 'Train model',
              tasks: [
                { name: 'Run the training job and wait for it', durationMs: 100 * s, lines: ['python infra/pipelines/scripts/run_training_job.py --host $(DATABRICKS_HOST) --job-id 1024 --lr 0.001 --epochs 5 --batch_size 64 --optimizer adam', "Run 6021 started with {'lr': '0.001', 'epochs': '5', 'batch_size': '64', 'optimizer': 'adam'}", 'Run 6021 state: PENDING', 'Run 6021 state: RUNNING', 'Run 6021 state: TERMINATED', '##vso[task.setvariable variable=MODEL_VERSION;isOutput=true]7', '##vso[build.addbuildtag]model-version-7'] },
              ],
            },
          ],
        },
        {
          name: 'Register',
          displayName: 'Register model',
          jobs: [
            {
              name: 'RegisterModel',
              displayName: 'Register model in MLflow',
              tasks: [
                { name: 'Wait until the version is READY', durationMs: 8 * s, lines: ['python infra/pipelines/scripts/wait_for_model_version.py --registry unity-catalog --name main.mlops.fashion_cnn --version 7', 'main.mlops.fashion_cnn version 7: PENDING_REGISTRATION', 'main.mlops.fashion_cnn version 7: READY'] },
              ],
            },
          ],
        },
        {
          name: 'Deploy',
          displayName: 'Deploy to ACI',
          approval: {
            environment: 'mlops-production',
            instructions: 'Check the model metrics against production before approving.',
            minRequiredApprovers: 1,
            approvers: [APPROVER],
            timeoutMs: 30 * 24 * 3600 * s,
          },
          jobs: [
            {
              name: 'DeployAci',
              displayName: 'Deploy scoring container',
              tasks: [
                { name: 'Deploy scoring image', durationMs: 40 * s, lines: ['az container create --resource-group mlops-rg --name fashion-cnn-prod --image mlopsacr.azurecr.io/mlops-scoring:4d59d25 --assign-identity ... --acr-identity ...', 'Provisioning state: Succeeded'] },
                { name: 'Smoke test', durationMs: 10 * s, lines: ['python infra/pipelines/scripts/smoke_test.py --config mlops.config.yaml --model fashion-cnn --url http://fashion-cnn-prod.westeurope.azurecontainer.io:5001', "smoke test passed: ['Trouser']"] },
              ],
            },
          ],
        },
      ],
    },
  ];
}
