"""Training package of the Fashion-MNIST CNN that /train runs on Databricks (entry: ../train.py)."""
