/**
 * A spark-versions list shaped like a current Azure Databricks workspace (late 2025): LTS and
 * non-LTS, ML and non-ML, GPU, Photon, Graviton-free Azure keys, Scala 2.12 and 2.13, a Beta and
 * a major-only `18.x` key. The newest runtime (18.0) is not LTS; 17.3 LTS ML exists only for
 * Scala 2.13, so a resolver fixed on 2.12 would wrongly stop at 16.4.
 */
export const SANDBOX_SPARK_VERSIONS: ReadonlyArray<{ key: string; name: string }> = [
  { key: '18.x-scala2.13', name: '18.0 Beta (includes Apache Spark 4.1.0, Scala 2.13)' },
  { key: '18.x-cpu-ml-scala2.13', name: '18.0 ML Beta (includes Apache Spark 4.1.0, Scala 2.13)' },
  { key: '17.3.x-scala2.13', name: '17.3 LTS (includes Apache Spark 4.0.0, Scala 2.13)' },
  { key: '17.3.x-photon-scala2.13', name: '17.3 LTS Photon (includes Apache Spark 4.0.0, Scala 2.13)' },
  { key: '17.3.x-cpu-ml-scala2.13', name: '17.3 LTS ML (includes Apache Spark 4.0.0, Scala 2.13)' },
  { key: '17.3.x-gpu-ml-scala2.13', name: '17.3 LTS ML (includes Apache Spark 4.0.0, GPU, Scala 2.13)' },
  { key: '17.2.x-scala2.13', name: '17.2 (includes Apache Spark 4.0.0, Scala 2.13)' },
  { key: '17.2.x-cpu-ml-scala2.13', name: '17.2 ML (includes Apache Spark 4.0.0, Scala 2.13)' },
  { key: '17.2.x-gpu-ml-scala2.13', name: '17.2 ML (includes Apache Spark 4.0.0, GPU, Scala 2.13)' },
  { key: '16.4.x-scala2.12', name: '16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)' },
  { key: '16.4.x-scala2.13', name: '16.4 LTS (includes Apache Spark 3.5.2, Scala 2.13)' },
  { key: '16.4.x-cpu-ml-scala2.12', name: '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)' },
  { key: '16.4.x-cpu-ml-scala2.13', name: '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.13)' },
  { key: '16.4.x-gpu-ml-scala2.12', name: '16.4 LTS ML (includes Apache Spark 3.5.2, GPU, Scala 2.12)' },
  { key: '16.4.x-photon-scala2.12', name: '16.4 LTS Photon (includes Apache Spark 3.5.2, Scala 2.12)' },
  { key: '15.4.x-scala2.12', name: '15.4 LTS (includes Apache Spark 3.5.0, Scala 2.12)' },
  { key: '15.4.x-cpu-ml-scala2.12', name: '15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)' },
  { key: '15.4.x-gpu-ml-scala2.12', name: '15.4 LTS ML (includes Apache Spark 3.5.0, GPU, Scala 2.12)' },
  { key: '15.4.x-photon-scala2.12', name: '15.4 LTS Photon (includes Apache Spark 3.5.0, Scala 2.12)' },
  { key: '14.3.x-scala2.12', name: '14.3 LTS (includes Apache Spark 3.5.0, Scala 2.12)' },
  { key: '14.3.x-cpu-ml-scala2.12', name: '14.3 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)' },
  { key: '14.3.x-gpu-ml-scala2.12', name: '14.3 LTS ML (includes Apache Spark 3.5.0, GPU, Scala 2.12)' },
  { key: '13.3.x-scala2.12', name: '13.3 LTS (includes Apache Spark 3.4.1, Scala 2.12)' },
  { key: '13.3.x-cpu-ml-scala2.12', name: '13.3 LTS ML (includes Apache Spark 3.4.1, Scala 2.12)' },
  { key: '12.2.x-cpu-ml-scala2.12', name: '12.2 LTS ML (includes Apache Spark 3.3.2, Scala 2.12)' },
  { key: '9.1.x-cpu-ml-scala2.12', name: '9.1 LTS ML (includes Apache Spark 3.1.2, Scala 2.12)' },
  { key: 'apache-spark-2.4.x-scala2.11', name: 'Light 2.4 (includes Apache Spark 2.4, Scala 2.11)' },
];
