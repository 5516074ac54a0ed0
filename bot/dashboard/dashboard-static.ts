import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RouteKit } from './dashboard-routes';

/**
 * The tab's static files, built by `npm run build` (bot/dashboard/web/build.mjs) into
 * dist/dashboard. The page may be framed only by Teams and the other Microsoft 365 hosts
 * (frame-ancestors as Teams documents it) and by this server itself (the sandbox's host page);
 * scripts come only from here.
 */
export const TAB_PATH = '/tabs/dashboard';

const FRAME_ANCESTORS = [
  "'self'",
  'https://teams.microsoft.com',
  'https://*.teams.microsoft.com',
  'https://*.cloud.microsoft',
  'https://*.microsoft365.com',
  'https://*.office.com',
  'https://outlook.office.com',
  'https://outlook.office365.com',
  'https://outlook.live.com',
];
// teams-js refreshes its list of valid host origins from res.cdn.office.net at start (teams-tab.md §2).
const CSP = `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' https://res.cdn.office.net; frame-ancestors ${FRAME_ANCESTORS.join(' ')}; base-uri 'none'; form-action 'none'`;

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json; charset=utf-8' };

export function dashboardDir(from = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'dashboard');
    if (dirname(dir) === dir) return join(from, 'dashboard');
  }
}

export function registerDashboardStatic(kit: RouteKit, dir = dashboardDir()): void {
  const files = new Map<string, { body: Buffer; type: string }>();
  const load = (name: string): { body: Buffer; type: string } | undefined => {
    const hit = files.get(name);
    if (hit) return hit;
    const path = join(dir, name);
    if (!existsSync(path)) return undefined;
    const ext = name.slice(name.lastIndexOf('.'));
    const file = { body: readFileSync(path), type: name === 'index.html' ? 'text/html; charset=utf-8' : (TYPES[ext] ?? 'application/octet-stream') };
    files.set(name, file);
    return file;
  };
  // The channel tab's configuration page is the same app: it tells the two apart by its frame context.
  for (const path of [TAB_PATH, `${TAB_PATH}/configure`]) kit.get(path, 'dashboard page', async (_req, res) => {
    const page = load('index.html');
    if (!page) return kit.refuse(res, 'dashboard page', { status: 503, message: 'The dashboard is not built: run npm run build.' }, 'no dist/dashboard');
    res.writeHead(200, { 'content-type': page.type, 'content-length': page.body.length, 'content-security-policy': CSP, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'same-origin' });
    res.end(page.body);
  });
  kit.get(`${TAB_PATH}/assets/:file`, 'dashboard asset', async (req, res) => {
    const name = req.params?.file ?? '';
    // Only the bundle's own flat file names: no path, no dot-files.
    const file = /^dashboard\.(js|css)(\.map)?$/.test(name) ? load(name) : undefined;
    if (!file) return kit.refuse(res, 'dashboard asset', { status: 404, message: 'No such file.' }, `asset ${name.slice(0, 60)}`);
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    res.end(file.body);
  });
}
