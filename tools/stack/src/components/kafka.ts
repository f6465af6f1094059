import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { processComponent, type Component } from '../component.ts';
import { StackError } from '../errors.ts';
import { dirs } from '../paths.ts';
import { requireCommand, requireJava } from '../prereq.ts';
import { run } from '../proc.ts';

const POM = path.join(dirs.infra, 'kafka/pom.xml');
const LOG4J = path.join(dirs.infra, 'kafka/log4j2.yaml');
const DATA = path.join(dirs.data, 'kafka');

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

function serverProperties(): string {
  return [
    '# Written by the Herald stack tool: a single-node KRaft broker and controller.',
    'process.roles=broker,controller',
    'node.id=1',
    'controller.quorum.voters=1@127.0.0.1:9093',
    'listeners=PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
    'advertised.listeners=PLAINTEXT://127.0.0.1:9092',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${path.join(DATA, 'logs')}`,
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

/** Formats the KRaft storage once (a new cluster id), and rewrites server.properties each start. */
function prepareStorage(java: string): string {
  fs.mkdirSync(DATA, { recursive: true });
  const properties = path.join(DATA, 'server.properties');
  fs.writeFileSync(properties, serverProperties());
  if (!fs.existsSync(path.join(DATA, 'logs', 'meta.properties'))) {
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
      '-c',
      properties,
    ], { quiet: true });
  }
  return properties;
}

/**
 * Ready means a consumer group can be coordinated, not only that the port is open: right after
 * start the group coordinator is still loading and kafkajs consumers would crash on join.
 */
async function kafkaReady(): Promise<boolean> {
  const kafka = new kafkajs.Kafka({
    clientId: 'herald-stack',
    brokers: ['127.0.0.1:9092'],
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

export function kafkaComponent(): Component {
  let java = 'java';
  return processComponent({
    name: 'kafka',
    kind: 'infrastructure',
    ports: [9092, 9093],
    urls: { 'Kafka (bootstrap)': '127.0.0.1:9092' },
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
      const properties = prepareStorage(java);
      return {
        command: java,
        args: [
          '-Xms256m',
          '-Xmx1g',
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
    ready: kafkaReady,
  });
}
