/**
 * The host side of the teams-js protocol, run in the sandbox host page (teams-tab.md §1-§7).
 * Query: ?user=<key>&theme=default|dark|contrast&subEntityId=<run id>, or for a channel tab
 * &frame=settings (its configuration page, with a Save button) / &entityId=model:<name> (the tab
 * as configured). window.hostLog records every request the tab posted; window.sendTheme(t) raises
 * a themeChange event; window.savedConfig is what the configuration page saved.
 */
export const HOST_SCRIPT = `(() => {
  const q = new URLSearchParams(location.search);
  const frame = document.getElementById('tab');
  const userSel = document.getElementById('user');
  const themeSel = document.getElementById('theme');
  userSel.value = q.get('user') || userSel.value;
  themeSel.value = q.get('theme') || 'default';
  window.hostLog = [];
  const frameKind = q.get('frame') === 'settings' ? 'settings' : 'content';
  const entityId = frameKind === 'settings' ? undefined : (q.get('entityId') || 'dashboard');
  const save = document.getElementById('save');
  save.hidden = frameKind !== 'settings';
  const runtimeConfig = JSON.stringify({ apiVersion: 4, supports: { appEntity: {}, pages: { config: {}, tabs: {}, currentApp: {} }, stageView: {}, teamsCore: {}, dialog: { url: {}, update: {} } } });
  const who = () => fetch('/sandbox/teams-host/token?user=' + encodeURIComponent(userSel.value)).then((r) => r.ok ? r.json() : Promise.reject(new Error('token ' + r.status)));
  window.addEventListener('message', async (e) => {
    if (e.source !== frame.contentWindow) return;
    const m = e.data;
    if (!m || typeof m.func !== 'string') return;
    window.hostLog.push(m.func);
    const reply = (...args) => frame.contentWindow.postMessage({ id: m.id, uuidAsString: m.uuidAsString, args }, e.origin);
    switch (m.func) {
      case 'initialize': return reply(frameKind, 'web', runtimeConfig, '2.0.1');
      case 'getContext': {
        const w = await who().catch(() => undefined);
        return reply({
          entityId, subEntityId: q.get('subEntityId') || undefined, locale: 'en-us', theme: themeSel.value,
          channelId: entityId === 'dashboard' ? undefined : '19:sandbox-channel@thread.tacv2', teamId: entityId === 'dashboard' ? undefined : '19:sandbox-team@thread.tacv2',
          userObjectId: w && w.user.oid, userPrincipalName: w && w.user.upn, loginHint: w && w.user.upn, tid: w && w.user.tid,
          hostName: 'Teams', hostClientType: 'web', frameContext: frameKind, appId: w && w.appId, sessionId: 'sandbox-session', appSessionId: 'sandbox-app-session',
        });
      }
      case 'authentication.getAuthToken':
        try { return reply(true, (await who()).token); } catch (err) { return reply(false, 'resourceDisabled'); }
      case 'executeDeepLink': return reply(true);
      case 'settings.setValidityState': save.disabled = m.args[0] !== true; return;
      case 'settings.setSettings': window.savedConfig = m.args[0]; return reply(true);
      case 'settings.save.success': {
        const next = new URLSearchParams({ user: userSel.value, theme: themeSel.value, entityId: window.savedConfig.entityId });
        location.search = next.toString();
        return;
      }
      default: return; // appInitialization.*, registerHandler: fire-and-forget, recorded above
    }
  });
  window.sendTheme = (t) => { themeSel.value = t; frame.contentWindow.postMessage({ func: 'themeChange', args: [t] }, '*'); };
  themeSel.addEventListener('change', () => window.sendTheme(themeSel.value));
  save.addEventListener('click', () => frame.contentWindow.postMessage({ func: 'settings.save', args: [{}] }, '*'));
  userSel.addEventListener('change', () => { q.set('user', userSel.value); location.search = q.toString(); });
  frame.src = frameKind === 'settings' ? frame.dataset.src + '/configure' : frame.dataset.src;
})();`;
