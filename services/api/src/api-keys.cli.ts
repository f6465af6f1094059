// `npm run keys -- <command>`: the api's keys.
//   create --name <name> --scope signup|admin [--scope …]   prints the key, once
//   list                                                     every key, without its secret
//   revoke <id>                                              refused within API_KEY_CACHE_MS
import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { databaseUrlField, loadEnv, runCli, UsageError } from '@herald/config';
import { openDatabase } from '@herald/db';
import { ApiKeyStore, isScope, SCOPES } from './api-keys';

const USAGE = `usage: npm run keys -- create --name <name> --scope ${SCOPES.join('|')} | list | revoke <id>`;

/** What to do, from the command line; a UsageError when it names nothing the CLI does. */
function commandOf(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scope: { type: 'string', multiple: true } },
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'create': {
      const name = values.name?.trim();
      const scopes = values.scope ?? [];
      if (!name || rest.length > 0) throw new UsageError('create needs --name');
      if (scopes.length === 0 || !scopes.every(isScope)) throw new UsageError(`--scope is one of: ${SCOPES.join(', ')}`);
      return { command, name, scopes } as const;
    }
    case 'list':
      if (rest.length > 0 || values.name !== undefined || values.scope !== undefined) throw new UsageError('list takes nothing more');
      return { command } as const;
    case 'revoke': {
      const [id] = rest;
      if (!id || rest.length > 1) throw new UsageError('revoke needs one key id');
      return { command, id } as const;
    }
    default:
      throw new UsageError(command ? `unknown command ${command}` : 'no command');
  }
}

async function main(argv: string[]): Promise<number> {
  const args = commandOf(argv);
  const env = loadEnv(Type.Object({ DATABASE_URL: databaseUrlField() }));
  const database = openDatabase(env.DATABASE_URL, { max: 1, application_name: 'herald-keys' });
  const store = new ApiKeyStore(database.db);
  try {
    switch (args.command) {
      case 'create': {
        const { id, key } = await store.create(args.name, args.scopes);
        console.log(JSON.stringify({ id, name: args.name, scopes: args.scopes, key }, null, 2));
        console.error('The key is shown only now: keep it in your secret store.');
        return 0;
      }
      case 'list':
        console.log(JSON.stringify(await store.list(), null, 2));
        return 0;
      case 'revoke': {
        const revoked = await store.revoke(args.id);
        console.log(JSON.stringify({ id: args.id, revoked }));
        return revoked ? 0 : 2;
      }
    }
  } finally {
    await database.close();
  }
}

runCli('keys', USAGE, main);
