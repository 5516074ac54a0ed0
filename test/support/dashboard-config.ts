import { parse, stringify } from 'yaml';
import { STAGING_THEN_PRODUCTION } from './environments';

/**
 * mlops.config.yaml for the dashboard's models tests: staging then production (./environments),
 * where only Megan (besides the admins) may deploy to production, so Adele, a trainer elsewhere,
 * is refused a promotion there.
 */
export const PRODUCTION_TRAINERS_ONLY_MEGAN = (text: string): string => {
  const doc = parse(STAGING_THEN_PRODUCTION(text)) as { models: Record<string, { environments: Array<{ name: string; roles?: Record<string, string[]> }> }> };
  const prod = doc.models['fashion-cnn']!.environments.find((e) => e.name === 'production')!;
  prod.roles = { trainers: ['meganb@example.com'], approvers: ['user-id-1', 'meganb@example.com'] };
  return stringify(doc);
};
