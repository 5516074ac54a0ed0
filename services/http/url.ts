/** An absolute http or https URL (what config endpoints and a Bot Framework serviceUrl must be). */
export function isHttpUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === 'https:' || u.protocol === 'http:';
  } catch {
    return false;
  }
}
