import type { SparkVersion } from './databricks.types';

/**
 * Picks the newest LTS ML runtime from a workspace's spark-versions list, the way the Databricks
 * SDKs' `select_spark_version` does, so a cluster spec never pins an outdated runtime (the old
 * MLOpsDatabricks sample hard-coded one without torch). Pure: the list comes from
 * DatabricksClient.listSparkVersions().
 */
export interface RuntimeCriteria {
  /** GPU ML runtime (`-gpu-ml-`) instead of CPU ML (`-cpu-ml-`). */
  gpu: boolean;
  /** Only LTS runtimes ("LTS" in the name, or an `-esr-` key). Default true. */
  lts?: boolean;
  /**
   * Scala build: '2.12', '2.13', or 'any' (default). Runtimes from 17 on exist only for 2.13, so
   * a filter fixed on 2.12 silently stops at 16.4; 'any' lets the newest win.
   */
  scala?: '2.12' | '2.13' | 'any';
  /** When one version exists for both Scala builds, take this one (the Go SDK returns 2.12). */
  preferScala?: '2.12' | '2.13';
}

export interface ResolvedRuntime extends SparkVersion {
  version: { major: number; minor: number };
  scala: string | undefined;
  gpu: boolean;
}

export class NoMatchingRuntimeError extends Error {
  readonly code = 'NoMatchingRuntime';
  constructor(
    readonly criteria: Required<RuntimeCriteria>,
    readonly candidates: number,
  ) {
    super(
      `no ${criteria.lts ? 'LTS ' : ''}${criteria.gpu ? 'GPU' : 'CPU'} ML runtime${criteria.scala === 'any' ? '' : ` for Scala ${criteria.scala}`} among ${candidates} spark versions of the workspace`,
    );
    this.name = 'NoMatchingRuntimeError';
  }
}

const VERSION = /^(\d+)(?:\.(\d+))?\.x-/;
const SCALA = /-scala(\d+\.\d+)/;

export function parseRuntimeVersion(key: string): { major: number; minor: number } | undefined {
  const m = VERSION.exec(key);
  if (!m?.[1]) return undefined;
  // "18.x" (major-only keys of the newest runtimes) sorts as 18.0.
  return { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]) };
}

function isMlRuntime(v: SparkVersion, gpu: boolean): boolean {
  const k = v.key;
  if (k.startsWith('apache-spark-') || !k.includes('-ml-')) return false;
  if (k.includes('-gpu-') !== gpu) return false;
  // Genomics, Photon and Graviton builds are other products, not "the ML runtime".
  if (k.includes('-hls-') || k.includes('-photon-') || k.includes('-aarch64-')) return false;
  return !/\bbeta\b/i.test(v.name);
}

export function compareRuntimes(a: ResolvedRuntime, b: ResolvedRuntime, preferScala: string): number {
  if (a.version.major !== b.version.major) return a.version.major - b.version.major;
  if (a.version.minor !== b.version.minor) return a.version.minor - b.version.minor;
  if (a.scala === b.scala) return 0;
  return a.scala === preferScala ? 1 : b.scala === preferScala ? -1 : 0;
}

export function resolveMlRuntime(versions: readonly SparkVersion[], criteria: RuntimeCriteria): ResolvedRuntime {
  const c: Required<RuntimeCriteria> = { lts: true, scala: 'any', preferScala: '2.12', ...criteria };
  let best: ResolvedRuntime | undefined;
  for (const v of versions) {
    if (!isMlRuntime(v, c.gpu)) continue;
    if (c.lts && !(/\bLTS\b/.test(v.name) || v.key.includes('-esr-'))) continue;
    const scala = SCALA.exec(v.key)?.[1];
    if (c.scala !== 'any' && scala !== c.scala) continue;
    const version = parseRuntimeVersion(v.key);
    if (!version) continue;
    const candidate: ResolvedRuntime = { key: v.key, name: v.name, version, scala, gpu: c.gpu };
    if (!best || compareRuntimes(candidate, best, c.preferScala) > 0) best = candidate;
  }
  if (!best) throw new NoMatchingRuntimeError(c, versions.length);
  return best;
}
