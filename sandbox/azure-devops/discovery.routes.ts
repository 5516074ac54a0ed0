import type { SandboxRequest, SandboxServer } from '../common/http-server';

/**
 * The discovery traffic azure-devops-node-api sends before any real call: the Location area,
 * ResourceAreas, and one OPTIONS per area returning ApiResourceLocations. The route templates
 * are chosen so that the client builds the public URLs (see docs/sandbox/azure-devops.md).
 */
const LOCATIONS: Record<string, Array<{ id: string; resourceName: string; routeTemplate: string; resourceVersion: number; minVersion: string; maxVersion: string; releasedVersion: string }>> = {
  location: [
    { id: 'e81700f7-3be2-46de-8624-2eb35882fcaa', resourceName: 'ResourceAreas', routeTemplate: '_apis/{resource}/{areaId}', resourceVersion: 1, minVersion: '3.2', maxVersion: '7.2', releasedVersion: '7.1' },
  ],
  build: [
    { id: '0cd358e1-9217-4d94-8269-1c1ee6f93dcf', resourceName: 'Builds', routeTemplate: '{project}/_apis/build/{resource}/{buildId}', resourceVersion: 7, minVersion: '1.0', maxVersion: '7.2', releasedVersion: '7.1' },
    { id: '8baac422-4c6e-4de5-8532-db96d92acffa', resourceName: 'Timeline', routeTemplate: '{project}/_apis/build/builds/{buildId}/{resource}/{timelineId}', resourceVersion: 3, minVersion: '2.0', maxVersion: '7.2', releasedVersion: '7.1' },
    { id: '35a80daf-7f30-45fc-86e8-6b813d9c90df', resourceName: 'logs', routeTemplate: '{project}/_apis/build/builds/{buildId}/{resource}/{logId}', resourceVersion: 2, minVersion: '2.0', maxVersion: '7.2', releasedVersion: '7.1' },
  ],
  pipelines: [
    { id: '7859261e-d2e9-4a68-b820-a5d84cc5bb3d', resourceName: 'runs', routeTemplate: '{project}/_apis/{area}/{pipelineId}/{resource}/{runId}', resourceVersion: 1, minVersion: '6.0', maxVersion: '7.2', releasedVersion: '7.1' },
    { id: 'fb1b6d27-3957-43d5-a14b-a2d70403e545', resourceName: 'logs', routeTemplate: '{project}/_apis/{area}/{pipelineId}/runs/{runId}/{resource}/{logId}', resourceVersion: 1, minVersion: '6.0', maxVersion: '7.2', releasedVersion: '7.1' },
    { id: '28e1305e-2afe-47bf-abaf-cbb0e6a91988', resourceName: 'pipelines', routeTemplate: '{project}/_apis/{area}/{pipelineId}', resourceVersion: 1, minVersion: '6.0', maxVersion: '7.2', releasedVersion: '7.1' },
  ],
};

/** `authorize` is the API's own check: discovery needs the same credential as any other call. */
export function registerDiscoveryRoutes(server: SandboxServer, authorize: (req: SandboxRequest) => unknown): void {
  server.route('OPTIONS', '/:org/_apis/:area', 'location.options', (req) => {
    authorize(req);
    const area = (req.params.area ?? '').toLowerCase();
    const list = LOCATIONS[area];
    if (!list) return { status: 200, body: { count: 0, value: [] } };
    const areaName = area === 'location' ? 'Location' : area;
    return { status: 200, body: { count: list.length, value: list.map((l) => ({ ...l, area: areaName })) } };
  });
  // An empty list means "on-premises: every area lives at the same base URL", which node-api accepts.
  server.route('GET', '/:org/_apis/ResourceAreas', 'resourceAreas.list', (req) => {
    authorize(req);
    return { status: 200, body: { count: 0, value: [] } };
  });
}
