import { HttpFault } from '../common/http-server';
import type { MlflowStore } from './mlflow.store';
import type { On } from './mlflow.routes';

/**
 * Public Unity Catalog models API (`/api/2.1/unity-catalog/models`, databricks-sdk-go service/catalog):
 * integer versions, aliases under `/aliases/{alias}` (PUT body {"version_num": N}), 404
 * RESOURCE_DOES_NOT_EXIST "Routine or Model '<full>' does not exist." for a missing model and 404 for
 * an unset alias (docs/sandbox/registries.md).
 */
const UC = '/api/2.1/unity-catalog/models';

export function registerUcRoutes(on: On, store: MlflowStore): void {
  on('GET', `${UC}/:full`, (req) => {
    const m = store.model(req.params.full ?? '', 'unity-catalog');
    const [catalog, schema, name] = m.name.split('.');
    const withAliases = req.query.get('include_aliases') === 'true';
    return {
      full_name: m.name, catalog_name: catalog, schema_name: schema, name, owner: 'sandbox@contoso.com', comment: m.description,
      created_at: m.creationTimestamp, updated_at: m.lastUpdatedTimestamp,
      ...(withAliases ? { aliases: [...m.aliases].map(([alias_name, v]) => ({ alias_name, version_num: Number(v) })) } : {}),
    };
  });

  on('GET', `${UC}/:full/versions/:version`, (req) => {
    const version = req.params.version ?? '';
    if (!/^\d+$/.test(version)) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', `Invalid version '${version}': an integer is required.`);
    return store.ucVersionInfo(store.version(req.params.full ?? '', version, 'unity-catalog'));
  });

  on('GET', `${UC}/:full/aliases/:alias`, (req) => {
    const full = req.params.full ?? '';
    const alias = req.params.alias ?? '';
    const version = store.model(full, 'unity-catalog').aliases.get(alias);
    if (version === undefined) throw new HttpFault(404, 'RESOURCE_DOES_NOT_EXIST', `Alias ${alias} does not exist on model '${full}'.`);
    return store.ucVersionInfo(store.version(full, version, 'unity-catalog'));
  });

  on('PUT', `${UC}/:full/aliases/:alias`, (req) => {
    const full = req.params.full ?? '';
    const alias = req.params.alias ?? '';
    const n = (req.body as { version_num?: unknown } | undefined)?.version_num;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', 'version_num must be a positive integer.');
    if (alias.toLowerCase() === 'latest') throw new HttpFault(400, 'INVALID_PARAMETER_VALUE', "'latest' alias name (case insensitive) is reserved.");
    const [catalog_name, schema_name, model_name] = full.split('.');
    store.version(full, String(n), 'unity-catalog');
    store.model(full, 'unity-catalog').aliases.set(alias, String(n));
    return { alias_name: alias, version_num: n, catalog_name, schema_name, model_name };
  });

  on('DELETE', `${UC}/:full/aliases/:alias`, (req) => {
    store.model(req.params.full ?? '', 'unity-catalog').aliases.delete(req.params.alias ?? '');
    return {};
  });
}
