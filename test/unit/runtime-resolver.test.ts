import { NoMatchingRuntimeError, parseRuntimeVersion, resolveMlRuntime } from '../../services/databricks/runtime-resolver';
import { SANDBOX_SPARK_VERSIONS } from '../../sandbox/databricks/spark-versions.data';

const v = (key: string, name: string): { key: string; name: string } => ({ key, name });

describe('resolveMlRuntime', () => {
  it('picks the newest LTS CPU ML runtime when the newest runtime is not LTS (Scala 2.13 only)', () => {
    expect(resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: false }).key).toBe('17.3.x-cpu-ml-scala2.13');
  });

  it('picks the GPU ML build when GPU is configured', () => {
    expect(resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: true }).key).toBe('17.3.x-gpu-ml-scala2.13');
  });

  it('stops at 16.4 when Scala 2.12 is required, and prefers 2.12 when a version has both builds', () => {
    expect(resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: false, scala: '2.12' }).key).toBe('16.4.x-cpu-ml-scala2.12');
    const both = [v('16.4.x-cpu-ml-scala2.13', '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.13)'), v('16.4.x-cpu-ml-scala2.12', '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)')];
    expect(resolveMlRuntime(both, { gpu: false }).key).toBe('16.4.x-cpu-ml-scala2.12');
    expect(resolveMlRuntime(both, { gpu: false, preferScala: '2.13' }).key).toBe('16.4.x-cpu-ml-scala2.13');
  });

  it('orders versions numerically: 16.4 > 9.1 and 15.10 > 15.4', () => {
    const list = [
      v('9.1.x-cpu-ml-scala2.12', '9.1 LTS ML (includes Apache Spark 3.1.2, Scala 2.12)'),
      v('15.4.x-cpu-ml-scala2.12', '15.4 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)'),
      v('15.10.x-cpu-ml-scala2.12', '15.10 LTS ML (includes Apache Spark 3.5.0, Scala 2.12)'),
    ];
    expect(resolveMlRuntime(list, { gpu: false }).key).toBe('15.10.x-cpu-ml-scala2.12');
    expect(resolveMlRuntime([list[0]!, v('16.4.x-cpu-ml-scala2.12', '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)')], { gpu: false }).key).toBe('16.4.x-cpu-ml-scala2.12');
    expect(parseRuntimeVersion('18.x-cpu-ml-scala2.13')).toEqual({ major: 18, minor: 0 });
  });

  it('takes a GPU-only newest LTS runtime for GPU and the older CPU one for CPU', () => {
    const list = [v('17.3.x-gpu-ml-scala2.13', '17.3 LTS ML (includes Apache Spark 4.0.0, GPU, Scala 2.13)'), v('16.4.x-cpu-ml-scala2.12', '16.4 LTS ML (includes Apache Spark 3.5.2, Scala 2.12)')];
    expect(resolveMlRuntime(list, { gpu: true }).key).toBe('17.3.x-gpu-ml-scala2.13');
    expect(resolveMlRuntime(list, { gpu: false }).key).toBe('16.4.x-cpu-ml-scala2.12');
  });

  it('ignores Beta, Photon, non-ML and apache-spark keys, and accepts non-LTS when asked', () => {
    expect(resolveMlRuntime(SANDBOX_SPARK_VERSIONS, { gpu: false, lts: false }).key).toBe('17.3.x-cpu-ml-scala2.13');
  });

  it('throws a typed NoMatchingRuntime error when the workspace has no LTS ML runtime', () => {
    const list = [v('17.2.x-cpu-ml-scala2.13', '17.2 ML (includes Apache Spark 4.0.0, Scala 2.13)'), v('16.4.x-scala2.12', '16.4 LTS (includes Apache Spark 3.5.2, Scala 2.12)')];
    const err = (() => {
      try {
        resolveMlRuntime(list, { gpu: false });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(NoMatchingRuntimeError);
    expect(err).toMatchObject({ code: 'NoMatchingRuntime', candidates: 2, message: 'no LTS CPU ML runtime among 2 spark versions of the workspace' });
  });
});
