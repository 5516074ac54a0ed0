import { createHash } from 'node:crypto';
import type { SandboxReply, SandboxServer } from '../common/http-server';

/**
 * A sandbox Azure Container Registry: the images the sandbox's CI pipeline run pushed (as the real CI
 * pipeline pushes the scoring image, infra/pipelines/azure-pipelines.ci.yml). The ARM sandbox asks it
 * whether an image exists before starting a container group (image-access.ts).
 * Read API: the Docker Registry HTTP API V2 that ACR serves (`GET /v2/`, `/v2/_catalog`,
 * `/v2/<name>/tags/list`, `/v2/<name>/manifests/<tag>`), errors as `{"errors":[{code,message,detail}]}`
 * (distribution spec, "Error Codes": NAME_UNKNOWN, MANIFEST_UNKNOWN).
 */
export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
  pushedAt: number;
}

export class ImageRegistryStore {
  private readonly repos = new Map<string, Map<string, PushedImage>>();

  constructor(readonly loginServer: string) {}

  /** `<loginServer>/<repo>:<tag>` → [repo, tag], or undefined for an image of another registry. */
  parse(image: string): [string, string] | undefined {
    const prefix = `${this.loginServer}/`;
    if (!image.toLowerCase().startsWith(prefix.toLowerCase())) return undefined;
    const rest = image.slice(prefix.length);
    const at = rest.lastIndexOf(':');
    return at > 0 ? [rest.slice(0, at), rest.slice(at + 1)] : [rest, 'latest'];
  }

  push(image: string, now: number): PushedImage {
    const ref = this.parse(image);
    if (!ref) throw new Error(`${image} is not an image of ${this.loginServer}`);
    const [repository, tag] = ref;
    const pushed = { repository, tag, digest: `sha256:${createHash('sha256').update(`${image}@${now}`).digest('hex')}`, pushedAt: now };
    let tags = this.repos.get(repository);
    if (!tags) this.repos.set(repository, (tags = new Map<string, PushedImage>()));
    tags.set(tag, pushed);
    return pushed;
  }

  has(image: string): boolean {
    const ref = this.parse(image);
    return !!ref && !!this.repos.get(ref[0])?.has(ref[1]);
  }

  list(): PushedImage[] {
    return [...this.repos.values()].flatMap((t) => [...t.values()]);
  }

  /** The registry's read API on `server` (the sandbox mounts it on the ARM port). */
  registerRoutes(server: SandboxServer): void {
    const unknown = (code: string, message: string, detail: unknown): SandboxReply => ({ status: 404, body: { errors: [{ code, message, detail }] } });
    server.route('GET', '/v2', 'acr.base', () => ({ status: 200, body: {} }));
    server.route('GET', '/v2/_catalog', 'acr.catalog', () => ({ status: 200, body: { repositories: [...this.repos.keys()].sort() } }));
    server.route('GET', '/v2/:name/tags/list', 'acr.tags', (req) => {
      const tags = this.repos.get(req.params.name ?? '');
      if (!tags) return unknown('NAME_UNKNOWN', 'repository name not known to registry', { name: req.params.name });
      return { status: 200, body: { name: req.params.name, tags: [...tags.keys()].sort() } };
    });
    server.route('GET', '/v2/:name/manifests/:ref', 'acr.manifest', (req) => {
      const img = this.repos.get(req.params.name ?? '')?.get(req.params.ref ?? '');
      if (!img) return unknown('MANIFEST_UNKNOWN', 'manifest unknown', { tag: req.params.ref });
      return { status: 200, headers: { 'docker-content-digest': img.digest }, body: { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' } };
    });
  }
}
