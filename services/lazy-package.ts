/**
 * A package loaded on its first use instead of at start-up. The bot answers /healthz long before
 * it renders a card or calls Azure DevOps, and these packages take 0.05–0.3 s each to load on
 * this machine (adaptivecards-templating with adaptive-expressions and antlr4ts, azure-devops-node-api,
 * jwks-rsa, @azure/arm-containerinstance, cron-parser): issue 13, cold start. Synchronous (`require`), for callers that are, such as renderCard.
 * Types come from `typeof import('<name>')`, which the compiler erases.
 */
export function lazyPackage<T>(name: string): () => T {
  let loaded: { module: T } | undefined;
  return () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the point is a synchronous load on first use, not at start-up
    loaded ??= { module: require(name) as T };
    return loaded.module;
  };
}
