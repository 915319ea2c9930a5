/**
 * `--store` on the command line: a postgres:// URL for the shared PostgreSQL catalogue,
 * or a path to a SQLite catalogue file.
 */
import { nonEmptyString } from '../validate.js';
import type { CatalogueStore } from './catalogue.js';
import { isPostgresUrl, PostgresCatalogue } from './postgres.js';
import { SqliteCatalogue } from './sqlite.js';

export async function openStore(spec: string): Promise<CatalogueStore> {
  nonEmptyString('store', spec);
  if (isPostgresUrl(spec)) return PostgresCatalogue.connect(spec);
  return new SqliteCatalogue(spec);
}
