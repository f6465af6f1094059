// `npm run dlq -- <command>`: the operator's view of dead letters.
//   list                      every dead-letter topic and its count
//   list <dlq>                the letters of one topic
//   show <dlq> <id>           one letter (id = partition:offset), with its whole story
//   redrive <dlq> <id>...     send letters back for a first attempt again
//   redrive <dlq> --all       every letter not redriven yet
//   purge <dlq>               delete every letter of a topic
import { parseArgs } from 'node:util';
import { Type } from '@sinclair/typebox';
import { databaseUrlField, loadEnv, runCli, UsageError } from '@herald/config';
import { openDatabase } from '@herald/db';
import { createKafka, KafkaEnvSchema, kafkaConnection } from '@herald/kafka';
import { DeadLetters } from './dead-letters';

const USAGE = 'usage: npm run dlq -- list [dlq] | show <dlq> <partition:offset> | redrive <dlq> (<partition:offset>... | --all) | purge <dlq>';

/** What to do, from the command line; a UsageError when it names nothing the CLI does. */
function commandOf(argv: string[]) {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: 'boolean', default: false } } });
  const [command, dlq, ...ids] = positionals;
  switch (command) {
    case 'list':
      if (values.all || ids.length > 0) break;
      return { command, dlq } as const;
    case 'show': {
      const [partition, offset, extra] = (ids[0] ?? '').split(':');
      if (!dlq || ids.length !== 1 || !partition || !offset || extra !== undefined || values.all) break;
      return { command, dlq, partition: Number(partition), offset } as const;
    }
    case 'redrive':
      // Either --all or letter ids, not both.
      if (!dlq || values.all === (ids.length > 0)) break;
      return { command, dlq, ids: values.all ? ('all' as const) : ids } as const;
    case 'purge':
      if (!dlq || values.all || ids.length > 0) break;
      return { command, dlq } as const;
  }
  throw new UsageError(command ? `cannot run "${argv.join(' ')}"` : 'no command');
}

async function main(argv: string[]): Promise<number> {
  const args = commandOf(argv);
  const env = loadEnv(Type.Object({ ...KafkaEnvSchema, DATABASE_URL: databaseUrlField() }));
  const kafka = createKafka({ clientId: 'herald-dlq', ...kafkaConnection(env) });
  const database = openDatabase(env.DATABASE_URL, { max: 2, application_name: 'herald-dlq' });
  const letters = new DeadLetters(kafka, database);
  const print = (value: unknown): void => console.log(JSON.stringify(value, null, 2));
  try {
    switch (args.command) {
      case 'list':
        print(args.dlq ? await letters.list(args.dlq) : await letters.topics());
        return 0;
      case 'show':
        print(await letters.inspect(args.dlq, args.partition, args.offset));
        return 0;
      case 'redrive': {
        const report = await letters.redrive(args.dlq, args.ids);
        print(report);
        return report.refused.length > 0 ? 2 : 0;
      }
      case 'purge':
        print({ purged: await letters.purge(args.dlq) });
        return 0;
    }
  } finally {
    await database.close();
  }
}

runCli('dlq', USAGE, main);
