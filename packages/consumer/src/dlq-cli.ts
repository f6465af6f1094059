// `npm run dlq -- <command>`: the operator's view of dead letters.
//   list                      every dead-letter topic and its count
//   list <dlq>                the letters of one topic
//   show <dlq> <id>           one letter (id = partition:offset), with its whole story
//   redrive <dlq> <id>...     send letters back for a first attempt again
//   redrive <dlq> --all       every letter not redriven yet
//   purge <dlq>               delete every letter of a topic
import { Type } from '@sinclair/typebox';
import { databaseUrlField, loadEnv } from '@herald/config';
import { openDatabase } from '@herald/db';
import { createKafka, KafkaEnvSchema, kafkaConnection } from '@herald/kafka';
import { DeadLetters } from './dead-letters';

const USAGE = 'usage: npm run dlq -- list [dlq] | show <dlq> <partition:offset> | redrive <dlq> (<partition:offset>... | --all) | purge <dlq>';

async function main(argv: string[]): Promise<number> {
  const env = loadEnv(
    Type.Object({
      ...KafkaEnvSchema,
      DATABASE_URL: databaseUrlField(),
    }),
  );
  const kafka = createKafka({ clientId: 'herald-dlq', ...kafkaConnection(env) });
  const [command, dlq, ...rest] = argv;
  const database = openDatabase(env.DATABASE_URL, { max: 2, application_name: 'herald-dlq' });
  const letters = new DeadLetters(kafka, database);
  const print = (value: unknown): void => console.log(JSON.stringify(value, null, 2));
  try {
    switch (command) {
      case 'list':
        print(dlq ? await letters.list(dlq) : await letters.topics());
        return 0;
      case 'show': {
        const [partition, offset] = (rest[0] ?? '').split(':');
        if (!dlq || partition === undefined || offset === undefined) break;
        print(await letters.inspect(dlq, Number(partition), offset));
        return 0;
      }
      case 'redrive': {
        if (!dlq || rest.length === 0) break;
        const report = await letters.redrive(dlq, rest.includes('--all') ? 'all' : rest);
        print(report);
        return report.refused.length > 0 ? 2 : 0;
      }
      case 'purge':
        if (!dlq) break;
        print({ purged: await letters.purge(dlq) });
        return 0;
    }
    console.error(USAGE);
    return 1;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
