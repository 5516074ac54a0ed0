"""Entry point of the training task (spark_python_task on Databricks, or `python3 train.py --help`).

Usage: train.py --data-dir DIR --model-name NAME [--lr X] [--epochs N] [--batch_size N] [--optimizer adam|sgd] ...
"""
import os
import sys

# Workspace files do not always put the script's folder on sys.path; the package lives next to it.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mlops_training.cli import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
