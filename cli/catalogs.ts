// What the commands that compare catalogs (`backtest`, `diff`) share: a candidate catalog from a
// marketer's module, and the engine's database, read directly.
import fs from 'node:fs';
import path from 'node:path';
import { Pool } from 'pg';
import { dataDirOf, localDatabaseUrlFile, type Config } from '../app/config';
import type { Catalog } from '../core/protocol';
import { InputError } from './inputs';

/** The catalog a TypeScript module exports as `catalog` (or by default), e.g. `defaultCatalog({ ... })`. */
export function loadCatalog(file: string): Catalog {
  let loaded: { catalog?: Catalog; default?: Catalog };
  try {
    // Required, not imported, so that tsx (cli/bin.js) compiles it.
    loaded = require(path.resolve(file)) as typeof loaded;
  } catch (err) {
    throw new InputError(`--catalog: cannot load ${file}: ${(err as Error).message}`);
  }
  const catalog = loaded.catalog ?? loaded.default;
  if (!catalog?.model || !catalog.versions || !catalog.latest) throw new InputError(`--catalog: ${file} exports no catalog: export const catalog = defaultCatalog({ ... })`);
  return catalog;
}

/** A small pool on DATABASE_URL, else on the PostgreSQL of the `npm start` running on this data folder. */
export function engineDatabase(config: Config): Pool {
  return new Pool({ connectionString: config.DATABASE_URL ?? localDatabaseUrl(dataDirOf(config)), max: 2 });
}

function localDatabaseUrl(dataDir: string): string {
  try {
    return fs.readFileSync(localDatabaseUrlFile(dataDir), 'utf8').trim();
  } catch {
    throw new InputError('no database: start the engine (npm start) or set DATABASE_URL to its PostgreSQL');
  }
}
