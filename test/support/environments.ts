import { parse, stringify } from 'yaml';

/** mlops.config.yaml with fashion-cnn going through staging (own resource group and size, no approval, Adele approves) then production (one approval, Megan approves). */
export const STAGING_THEN_PRODUCTION = (text: string): string => {
  const doc = parse(text) as { models: Record<string, Record<string, unknown>> };
  const m = doc.models['fashion-cnn']!;
  delete m.deployment;
  m.environments = [
    { name: 'staging', containerGroup: 'fashion-cnn-staging', resourceGroup: 'rg-mlops-staging', cpu: 0.5, memoryInGB: 1, approval: 'none', roles: { approvers: ['user-id-2'] } },
    { name: 'production', containerGroup: 'fashion-cnn-prod', cpu: 1, memoryInGB: 1.5, dnsLabel: 'fashion-cnn-prod', approval: { required: 1, expiresAfter: '24h' }, roles: { approvers: ['user-id-1'] } },
  ];
  return stringify(doc);
};
