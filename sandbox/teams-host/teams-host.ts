import type { RouteKit } from '../../bot/dashboard/dashboard-routes';
import { TAB_PATH } from '../../bot/dashboard/dashboard-static';
import type { EntraSandbox, SandboxTabUser } from '../entra/entra.sandbox';
import { HOST_SCRIPT } from './host-script';

/**
 * A stand-in for the Teams client around the dashboard tab (sandbox mode only: `npm start` and
 * the tests). It frames the tab from the bot's own origin, so teams-js accepts its messages
 * (same-origin rule, ../shared/protocols/teams-tab.md §4), and answers the host protocol as
 * §1-§7 describe: initialize, getContext (the flat legacy context), getAuthToken (a token the
 * sandbox's Entra signs, standing in for Teams' own token request), themeChange events,
 * appInitialization.* and registerHandler recorded for assertions. The Agents Playground has no
 * tab host, hence this page.
 */
export const HOST_PATH = '/sandbox/teams-host';

/** The playground's users, as the sandbox's Entra knows them (object ids must be GUIDs in Entra). */
export const SANDBOX_TAB_USERS: Record<string, SandboxTabUser> = {
  alex: { oid: '00000000-0000-0000-0000-000000000020', upn: 'alexw@example.com', name: 'Alex Wilber' },
  megan: { oid: '00000000-0000-0000-0000-000000000021', upn: 'meganb@example.com', name: 'Megan Bowen' },
  adele: { oid: '00000000-0000-0000-0000-000000000022', upn: 'adelev@example.com', name: 'Adele Vance' },
};

export function registerTeamsHost(kit: RouteKit, entra: EntraSandbox, users: Record<string, SandboxTabUser> = SANDBOX_TAB_USERS): void {
  const page = hostPage(users);
  kit.get(HOST_PATH, 'teams host page', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page), 'cache-control': 'no-cache' });
    res.end(page);
  });
  kit.get(`${HOST_PATH}/host.js`, 'teams host script', async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'content-length': Buffer.byteLength(HOST_SCRIPT), 'cache-control': 'no-cache' });
    res.end(HOST_SCRIPT);
  });
  kit.get(`${HOST_PATH}/token`, 'teams host token', async (req, res) => {
    const key = new URL(req.url ?? '/', 'http://x').searchParams.get('user') ?? '';
    const user = users[key];
    if (!user) return kit.refuse(res, 'teams host token', { status: 404, message: `No sandbox user ${key.slice(0, 40)}.` }, 'unknown user');
    const body = JSON.stringify({ token: entra.issueTabToken(user), user: { ...user, tid: entra.tenantId }, appId: entra.clientId });
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  });
}

function hostPage(users: Record<string, SandboxTabUser>): string {
  const options = Object.entries(users)
    .map(([k, u]) => `<option value="${k}">${u.name.replace(/[<>&"]/g, '')}</option>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Teams (sandbox host) - MLOps dashboard</title>
<style>
 body{margin:0;font-family:system-ui,sans-serif;display:flex;flex-direction:column;height:100vh}
 .host-bar{display:flex;gap:16px;align-items:center;padding:6px 12px;background:#464775;color:#fff;font-size:13px}
 .host-bar label{display:flex;gap:6px;align-items:center}
 iframe{flex:1;border:0;width:100%}
</style></head>
<body>
<div class="host-bar" role="toolbar" aria-label="Sandbox Teams host">
 <strong>Teams (sandbox host)</strong>
 <label>Signed in as <select id="user">${options}</select></label>
 <button id="save" type="button" disabled hidden>Save</button>
 <label>Theme <select id="theme"><option value="default">default</option><option value="dark">dark</option><option value="contrast">high contrast</option></select></label>
</div>
<iframe id="tab" title="MLOps dashboard tab" data-src="${TAB_PATH}"></iframe>
<script src="${HOST_PATH}/host.js"></script>
</body></html>`;
}
