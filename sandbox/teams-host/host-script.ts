/**
 * The host side of the teams-js protocol, run in the sandbox host page (teams-tab.md §1-§7).
 * Query: ?user=<key>&theme=default|dark|contrast&subEntityId=<run id>. window.hostLog records
 * every request the tab posted; window.sendTheme(t) raises a themeChange event.
 */
export const HOST_SCRIPT = `(() => {
  const q = new URLSearchParams(location.search);
  const frame = document.getElementById('tab');
  const userSel = document.getElementById('user');
  const themeSel = document.getElementById('theme');
  userSel.value = q.get('user') || userSel.value;
  themeSel.value = q.get('theme') || 'default';
  window.hostLog = [];
  const runtimeConfig = JSON.stringify({ apiVersion: 4, supports: { appEntity: {}, pages: { config: {}, tabs: {}, currentApp: {} }, stageView: {}, teamsCore: {}, dialog: { url: {}, update: {} } } });
  const who = () => fetch('/sandbox/teams-host/token?user=' + encodeURIComponent(userSel.value)).then((r) => r.ok ? r.json() : Promise.reject(new Error('token ' + r.status)));
  window.addEventListener('message', async (e) => {
    if (e.source !== frame.contentWindow) return;
    const m = e.data;
    if (!m || typeof m.func !== 'string') return;
    window.hostLog.push(m.func);
    const reply = (...args) => frame.contentWindow.postMessage({ id: m.id, uuidAsString: m.uuidAsString, args }, e.origin);
    switch (m.func) {
      case 'initialize': return reply('content', 'web', runtimeConfig, '2.0.1');
      case 'getContext': {
        const w = await who().catch(() => undefined);
        return reply({
          entityId: 'dashboard', subEntityId: q.get('subEntityId') || undefined, locale: 'en-us', theme: themeSel.value,
          userObjectId: w && w.user.oid, userPrincipalName: w && w.user.upn, loginHint: w && w.user.upn, tid: w && w.user.tid,
          hostName: 'Teams', hostClientType: 'web', frameContext: 'content', appId: w && w.appId, sessionId: 'sandbox-session', appSessionId: 'sandbox-app-session',
        });
      }
      case 'authentication.getAuthToken':
        try { return reply(true, (await who()).token); } catch (err) { return reply(false, 'resourceDisabled'); }
      case 'executeDeepLink': return reply(true);
      default: return; // appInitialization.*, registerHandler: fire-and-forget, recorded above
    }
  });
  window.sendTheme = (t) => { themeSel.value = t; frame.contentWindow.postMessage({ func: 'themeChange', args: [t] }, '*'); };
  themeSel.addEventListener('change', () => window.sendTheme(themeSel.value));
  userSel.addEventListener('change', () => { q.set('user', userSel.value); location.search = q.toString(); });
  frame.src = frame.dataset.src;
})();`;
