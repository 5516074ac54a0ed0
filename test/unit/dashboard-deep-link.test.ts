import { dashboardLink } from '../../bot/dashboard/deep-link';

describe('Open in dashboard links', () => {
  it('is a Teams entity deep link to the Dashboard tab with the run as encoded sub-entity', () => {
    const link = dashboardLink({ kind: 'teams', appId: 'fe4a8eba-2a31-4737-8e33-e5fae6fee194' }, 'r-42');
    const url = new URL(link);
    expect(url.origin).toBe('https://teams.microsoft.com');
    expect(url.pathname).toBe('/l/entity/fe4a8eba-2a31-4737-8e33-e5fae6fee194/dashboard');
    expect(JSON.parse(url.searchParams.get('context')!)).toEqual({ subEntityId: 'r-42' });
    expect(url.searchParams.get('label')).toBe('Run r-42');
    // Encoded as the docs require: no raw braces or quotes in the link.
    expect(link).not.toMatch(/[{}"]/);
  });

  it('opens the sandbox Teams host page on the run in sandbox mode', () => {
    const link = dashboardLink({ kind: 'sandbox', hostPageUrl: 'http://127.0.0.1:3978/sandbox/teams-host?user=megan' }, 'r-7');
    expect(link).toBe('http://127.0.0.1:3978/sandbox/teams-host?user=megan&subEntityId=r-7');
  });
});
