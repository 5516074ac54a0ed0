/**
 * "Open in dashboard" on a card: a Teams deep link to the Dashboard tab with the run as its
 * sub-entity (`https://teams.microsoft.com/l/entity/<app id>/<entity id>?context={"subEntityId":…}`,
 * every parameter encoded; ../shared/protocols/teams-tab.md §9). In Teams it opens the tab, and
 * the tab opens the run. In the sandbox there is no Teams client: the link opens the sandbox's
 * Teams host page with the same sub-entity.
 */
export type DashboardLinks = { kind: 'teams'; appId: string } | { kind: 'sandbox'; hostPageUrl: string };

export const DASHBOARD_ENTITY_ID = 'dashboard';

export function dashboardLink(links: DashboardLinks, runId: string): string {
  if (links.kind === 'sandbox') {
    const url = new URL(links.hostPageUrl);
    url.searchParams.set('subEntityId', runId);
    return url.toString();
  }
  const context = encodeURIComponent(JSON.stringify({ subEntityId: runId }));
  return `https://teams.microsoft.com/l/entity/${encodeURIComponent(links.appId)}/${DASHBOARD_ENTITY_ID}?label=${encodeURIComponent(`Run ${runId}`)}&context=${context}`;
}
