import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { processComponent, type Component, type Kind } from '../component.ts';
import { StackError } from '../errors.ts';
import { dirs } from '../paths.ts';
import { requireCommand, requireJava } from '../prereq.ts';
import { run } from '../proc.ts';
import { keptSecret } from '../secrets.ts';

const POM = path.join(dirs.infra, 'kafka/pom.xml');
const LOG4J = path.join(dirs.infra, 'kafka/log4j2.yaml');

/** What tells the stack's brokers apart; each is a single-node cluster with its own data. */
export interface Broker {
  name: string;
  kind: Kind;
  /** The clients' listener; the controller listens on the next port. */
  port: number;
  /** The JVM's largest heap. */
  maxHeap: string;
  /** Clients must log in with SCRAM-SHA-256 or -512 as this user (SASL_PLAINTEXT). */
  scramUser?: string;
}

/** The broker every service, test and bench uses. */
export const PLAINTEXT_BROKER: Broker = { name: 'kafka', kind: 'infrastructure', port: 9092, maxHeap: '1g' };

/**
 * A second broker that refuses clients without SCRAM credentials: the tests of the
 * KAFKA_SASL_* settings use it. Started only when named (`up kafka-sasl`).
 */
export const SCRAM_BROKER: Broker = { name: 'kafka-sasl', kind: 'extra', port: 9192, maxHeap: '512m', scramUser: 'herald' };

const dataDir = (broker: Broker): string => path.join(dirs.data, broker.name);

const SCRAM_MECHANISMS = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

interface ScramCredentials {
  username: string;
  password: string;
}

/** The password of the broker's SCRAM user: made with its storage and kept beside it. */
function scramPassword(broker: Broker): string {
  return keptSecret(path.join(dataDir(broker), 'scram-password'));
}

function scramCredentials(broker: Broker): ScramCredentials | undefined {
  return broker.scramUser ? { username: broker.scramUser, password: scramPassword(broker) } : undefined;
}

/** What the tests need to reach the SCRAM broker: its address, user and password. */
export function scramBrokerEnvironment(): NodeJS.ProcessEnv {
  return {
    SASL_KAFKA_BROKERS: `127.0.0.1:${SCRAM_BROKER.port}`,
    SASL_KAFKA_USERNAME: SCRAM_BROKER.scramUser,
    SASL_KAFKA_PASSWORD: scramPassword(SCRAM_BROKER),
  };
}

function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(fs.readFileSync(POM, 'utf8'));
  if (!match?.[1]) throw new StackError(`no <kafka.version> in ${POM}`);
  return match[1];
}

function libsDir(): string {
  return path.join(dirs.cache, `kafka-${kafkaVersion()}`, 'libs');
}

/** Resolves Kafka's jars from Maven Central into the cache, once per version. */
async function resolveJars(): Promise<void> {
  const libs = libsDir();
  if (fs.existsSync(path.join(libs, '.complete'))) return;
  requireCommand(
    'mvn',
    'once, to download the Kafka jars from Maven Central',
    'install Maven (apt-get install maven) or use docker compose up',
  );
  const staging = `${libs}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  process.stdout.write(`kafka: resolving org.apache.kafka:kafka_2.13:${kafkaVersion()} with Maven into ${libs}\n`);
  run('mvn dependency:copy-dependencies', 'mvn', [
    '-q',
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${staging}`,
    '-DincludeScope=runtime',
  ]);
  fs.writeFileSync(path.join(staging, '.complete'), `${new Date().toISOString()}\n`);
  fs.rmSync(libs, { recursive: true, force: true });
  fs.renameSync(staging, libs);
}

function serverProperties(broker: Broker): string {
  const controller = `127.0.0.1:${broker.port + 1}`;
  const scram = scramCredentials(broker);
  const listener = scram ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
  return [
    `# Written by the Herald stack tool: a single-node KRaft broker and controller (${broker.name}).`,
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${controller}`,
    `listeners=${listener}://127.0.0.1:${broker.port},CONTROLLER://${controller}`,
    `advertised.listeners=${listener}://127.0.0.1:${broker.port}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,${listener}:${listener}`,
    `inter.broker.listener.name=${listener}`,
    ...(scram ? scramProperties(scram) : []),
    `log.dirs=${path.join(dataDir(broker), 'logs')}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

/**
 * SCRAM on the clients' listener, the broker logging in to itself as the same user (Kafka wants a
 * login module for each mechanism it enables). The controller listener stays PLAINTEXT on
 * 127.0.0.1: a KRaft controller cannot check SCRAM, whose credentials live in the very metadata it
 * serves.
 */
function scramProperties({ username, password }: ScramCredentials): string[] {
  const login = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${username}" password="${password}";`;
  return [
    `sasl.enabled.mechanisms=${SCRAM_MECHANISMS.join(',')}`,
    'sasl.mechanism.inter.broker.protocol=SCRAM-SHA-256',
    ...SCRAM_MECHANISMS.map((mechanism) => `listener.name.sasl_plaintext.${mechanism.toLowerCase()}.sasl.jaas.config=${login}`),
  ];
}

/**
 * Formats the KRaft storage once (a new cluster id, and the SCRAM user in its first metadata), and
 * rewrites server.properties each start, readable by its owner only: it may hold the password.
 */
function prepareStorage(java: string, broker: Broker): string {
  const data = dataDir(broker);
  fs.mkdirSync(data, { recursive: true });
  const properties = path.join(data, 'server.properties');
  fs.writeFileSync(properties, serverProperties(broker), { mode: 0o600 });
  if (!fs.existsSync(path.join(data, 'logs', 'meta.properties'))) {
    const clusterId = randomBytes(16).toString('base64url');
    run('kafka storage format', java, [
      '-cp',
      `${libsDir()}/*`,
      `-Dlog4j2.configurationFile=${LOG4J}`,
      'kafka.tools.StorageTool',
      'format',
      '--ignore-formatted',
      // One argument with '=': a base64url id may start with '-', which would read as an option.
      `--cluster-id=${clusterId}`,
      ...addScramArguments(broker),
      '-c',
      properties,
    ], { quiet: true });
  }
  return properties;
}

/** The storage format's `--add-scram` arguments: the broker's user, for both SCRAM mechanisms. */
function addScramArguments(broker: Broker): string[] {
  const scram = scramCredentials(broker);
  if (!scram) return [];
  return SCRAM_MECHANISMS.flatMap((mechanism) => ['--add-scram', `${mechanism}=[name=${scram.username},password=${scram.password}]`]);
}

/**
 * Ready means a consumer group can be coordinated, not only that the port is open: right after
 * start the group coordinator is still loading and kafkajs consumers would crash on join.
 */
async function kafkaReady(broker: Broker): Promise<boolean> {
  const scram = scramCredentials(broker);
  const kafka = new kafkajs.Kafka({
    clientId: 'herald-stack',
    brokers: [`127.0.0.1:${broker.port}`],
    ...(scram ? { sasl: { mechanism: 'scram-sha-256' as const, ...scram } } : {}),
    connectionTimeout: 1000,
    requestTimeout: 3000,
    retry: { retries: 0 },
    logLevel: kafkajs.logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    const { groups } = await admin.describeGroups(['herald-stack-probe']);
    return groups.length === 1;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export function kafkaComponent(broker: Broker = PLAINTEXT_BROKER): Component {
  let java = 'java';
  const bootstrap = `127.0.0.1:${broker.port}`;
  return processComponent({
    name: broker.name,
    kind: broker.kind,
    ports: [broker.port, broker.port + 1],
    urls: broker.scramUser
      ? { 'Kafka (SASL/SCRAM)': `${bootstrap}, user ${broker.scramUser}, password in ${path.relative(process.cwd(), dataDir(broker))}/scram-password` }
      : { 'Kafka (bootstrap)': bootstrap },
    readyTimeoutMs: 120_000,
    check() {
      java = requireJava(17);
      if (!fs.existsSync(path.join(libsDir(), '.complete'))) {
        requireCommand('mvn', 'once, to download the Kafka jars from Maven Central', 'install Maven (apt-get install maven) or use docker compose up');
      }
    },
    async prepare() {
      await resolveJars();
    },
    launch() {
      const properties = prepareStorage(java, broker);
      return {
        command: java,
        args: [
          '-Xms256m',
          `-Xmx${broker.maxHeap}`,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j2.configurationFile=${LOG4J}`,
          '-cp',
          `${libsDir()}/*`,
          'kafka.Kafka',
          properties,
        ],
      };
    },
    ready: () => kafkaReady(broker),
  });
}
