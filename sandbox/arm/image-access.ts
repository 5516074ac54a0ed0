import { HttpFault } from '../common/http-server';

/**
 * Whether ACI could pull a container group's images, checked when the PUT arrives, as ACI does: an
 * image of a private registry that was never pushed there, or that has no matching
 * `imageRegistryCredentials` entry (username/password or identity), fails the PUT with
 * 400 InaccessibleImage "The image '<image>' in container group '<name>' is not accessible. Please
 * check the image and registry credential." (the code and text ACI answers: Azure/azure-sdk-for-python
 * issue #16731, docker-archive/compose-cli issue #2150, MicrosoftDocs/azure-docs issue #45129).
 */
export interface PrivateRegistry {
  loginServer: string;
  has(image: string): boolean;
}

export function checkImageAccess(name: string, properties: Record<string, unknown>, images: readonly string[], registries: readonly PrivateRegistry[]): void {
  const creds = Array.isArray(properties.imageRegistryCredentials) ? (properties.imageRegistryCredentials as Array<Record<string, unknown>>) : [];
  for (const image of images) {
    const registry = registries.find((r) => image.toLowerCase().startsWith(`${r.loginServer.toLowerCase()}/`));
    if (!registry) continue; // public images (Docker Hub, mcr.microsoft.com) are not the sandbox's to judge
    const cred = creds.find((c) => typeof c.server === 'string' && c.server.toLowerCase() === registry.loginServer.toLowerCase());
    const usable = !!cred && (typeof cred.identity === 'string' || (typeof cred.username === 'string' && typeof cred.password === 'string'));
    if (!usable || !registry.has(image)) {
      throw new HttpFault(400, 'InaccessibleImage', `The image '${image}' in container group '${name}' is not accessible. Please check the image and registry credential.`);
    }
  }
}
