/**
 * Where the tests find the real infrastructure. The global setup exports these variables; tests
 * read them through `infrastructure()`. Defaults are the native stack's addresses.
 */
export interface Infrastructure {
  kafkaBrokers: string[];
  databaseUrl: string;
  smtpUrl: string;
  mailpitUrl: string;
  jaegerUrl: string;
  otlpUrl: string;
  slackSinkUrl: string;
  /** The stack's broker that asks for SCRAM (`kafka-sasl`, started by the test that uses it), and its user. */
  saslKafka: { brokers: string[]; username: string; password: string };
}

const brokerList = (text: string): string[] => text.split(',').map((b) => b.trim());

export function infrastructure(env: NodeJS.ProcessEnv = process.env): Infrastructure {
  return {
    kafkaBrokers: brokerList(env.KAFKA_BROKERS ?? '127.0.0.1:9092'),
    databaseUrl: env.DATABASE_URL ?? 'postgres://herald:herald@127.0.0.1:5432/herald',
    smtpUrl: env.SMTP_URL ?? 'smtp://127.0.0.1:1025',
    mailpitUrl: env.MAILPIT_URL ?? 'http://127.0.0.1:8025',
    jaegerUrl: env.JAEGER_URL ?? 'http://127.0.0.1:16686',
    otlpUrl: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318',
    slackSinkUrl: env.SLACK_SINK_URL ?? 'http://127.0.0.1:8026',
    saslKafka: {
      brokers: brokerList(env.SASL_KAFKA_BROKERS ?? '127.0.0.1:9192'),
      username: env.SASL_KAFKA_USERNAME ?? 'herald',
      password: env.SASL_KAFKA_PASSWORD ?? '',
    },
  };
}
