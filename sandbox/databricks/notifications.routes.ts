import { randomUUID } from 'node:crypto';
import { HttpFault, type SandboxRequest, type SandboxServer } from '../common/http-server';
import type { Workspace } from './workspace.state';

/**
 * Notification destinations (`/api/2.0/notification-destinations`) and `jobs/update`, as far as
 * the bot uses them to attach its webhook to jobs. Sources: databricks-sdk-go v0.175.0
 * service/settings (NotificationDestination, GenericWebhookConfig) and service/jobs (UpdateJob,
 * WebhookNotifications); docs.databricks.com "create-notification-destination". Strict where the
 * sources are: only workspace admins create, secrets are write-only (`*_set` flags), at most 3
 * destinations per event list, `new_settings` replaces top-level fields whole.
 */
type Json = Record<string, unknown>;
const bad = (message: string): HttpFault => new HttpFault(400, 'INVALID_PARAMETER_VALUE', message);

export interface Destination {
  id: string;
  displayName: string;
  url: string;
  username: string | undefined;
  password: string | undefined;
}

const CONFIG_KINDS = ['email', 'generic_webhook', 'microsoft_teams', 'pagerduty', 'slack'];
const EVENTS = ['on_start', 'on_success', 'on_failure', 'on_duration_warning_threshold_exceeded', 'on_streaming_backlog_exceeded'];

function wire(d: Destination, admin: boolean): Json {
  return {
    id: d.id,
    display_name: d.displayName,
    destination_type: 'WEBHOOK',
    // "config only for workspace admins"; secret values are never returned.
    ...(admin ? { config: { generic_webhook: { url_set: true, username_set: d.username !== undefined, password_set: d.password !== undefined } } } : {}),
  };
}

export function registerNotificationRoutes(server: SandboxServer, ws: Workspace, destinations: Map<string, Destination>, isAdmin: (req: SandboxRequest) => boolean): void {
  server.route('GET', '/api/2.0/notification-destinations', 'notification-destinations/list', () => ({
    status: 200,
    body: { results: [...destinations.values()].map((d) => ({ id: d.id, display_name: d.displayName, destination_type: 'WEBHOOK' })) },
  }));
  server.route('POST', '/api/2.0/notification-destinations', 'notification-destinations/create', (req) => {
    if (!isAdmin(req)) throw new HttpFault(403, 'PERMISSION_DENIED', 'Only workspace admins can create notification destinations.');
    const b = (req.body ?? {}) as Json;
    const config = (b.config ?? {}) as Json;
    const kinds = Object.keys(config).filter((k) => CONFIG_KINDS.includes(k));
    if (typeof b.display_name !== 'string' || b.display_name.trim() === '') throw bad('display_name is required.');
    if (kinds.length !== 1 || Object.keys(config).length !== 1) throw bad('config must wrap exactly one of email, generic_webhook, microsoft_teams, pagerduty, slack.');
    if (kinds[0] !== 'generic_webhook') throw bad('The sandbox supports generic_webhook destinations only.');
    const hook = (config.generic_webhook ?? {}) as Json;
    if (typeof hook.url !== 'string' || !/^https?:\/\//.test(hook.url)) throw bad('generic_webhook.url must be an http(s) URL.');
    const d: Destination = {
      id: randomUUID(),
      displayName: b.display_name,
      url: hook.url,
      username: typeof hook.username === 'string' ? hook.username : undefined,
      password: typeof hook.password === 'string' ? hook.password : undefined,
    };
    destinations.set(d.id, d);
    return { status: 200, body: wire(d, true) };
  });
  server.route('GET', '/api/2.0/notification-destinations/:id', 'notification-destinations/get', (req) => {
    const d = destinations.get(req.params.id ?? '');
    if (!d) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Notification destination ${req.params.id ?? ''} does not exist.`);
    return { status: 200, body: wire(d, isAdmin(req)) };
  });

  for (const v of ['2.1', '2.2']) {
    server.route('POST', `/api/${v}/jobs/update`, 'jobs/update', (req) => {
      const b = (req.body ?? {}) as Json;
      const jobId = Number(b.job_id);
      const job = ws.jobs.get(jobId);
      if (!Number.isSafeInteger(jobId) || !job) throw bad(`Job ${String(b.job_id)} does not exist.`);
      const settings = (b.new_settings ?? {}) as Json;
      if (typeof settings !== 'object' || Array.isArray(settings)) throw bad('new_settings must be an object.');
      const hooks = settings.webhook_notifications as Json | undefined;
      if (hooks !== undefined) {
        for (const [event, list] of Object.entries(hooks)) {
          if (!EVENTS.includes(event)) throw bad(`Unknown field webhook_notifications.${event}.`);
          if (!Array.isArray(list)) throw bad(`webhook_notifications.${event} must be an array.`);
          if (list.length > 3) throw bad(`A maximum of 3 destinations can be specified for webhook_notifications.${event}.`);
          for (const h of list as Json[]) if (typeof h.id !== 'string' || !destinations.has(h.id)) throw bad(`Notification destination ${String(h.id)} does not exist.`);
        }
      }
      // Top-level fields are replaced whole (arrays such as tasks would be merged by key; not needed here).
      job.settings = { ...job.settings, ...Object.fromEntries(Object.entries(settings).filter(([k]) => k !== 'tasks' && k !== 'job_clusters')) };
      for (const f of Array.isArray(b.fields_to_remove) ? (b.fields_to_remove as unknown[]) : []) if (typeof f === 'string') delete job.settings[f];
      return { status: 200, body: {} };
    });
    server.route('GET', `/api/${v}/jobs/list`, 'jobs/list', (req) => {
      const name = req.query.get('name');
      const jobs = [...ws.jobs.values()].filter((j) => !name || j.settings.name === name);
      return { status: 200, body: { jobs: jobs.map((j) => ({ job_id: j.jobId, created_time: j.createdTime, settings: { name: j.settings.name } })), has_more: false } };
    });
  }
}
