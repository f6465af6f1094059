import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the stack keeps what it downloads, builds, stores and logs; ignored by git. */
export const HOME = process.env.HERALD_HOME ?? path.join(ROOT, '.herald');

export const dirs = {
  cache: path.join(HOME, 'cache'),
  data: path.join(HOME, 'data'),
  logs: path.join(HOME, 'logs'),
  run: path.join(HOME, 'run'),
  infra: path.join(ROOT, 'tools/infra'),
};
