import fs from 'node:fs';
import path from 'node:path';
import { consumerEnvFields } from '@herald/consumer';
import { serviceEnvFields } from '@herald/service-kit';

// Static checks of files that no other test runs here (no Docker engine on CI).
const ROOT = path.resolve(__dirname, '../..');

function workspaces(): string[] {
  return ['packages', 'services', 'tools']
    .flatMap((group) => fs.readdirSync(path.join(ROOT, group)).map((name) => `${group}/${name}`))
    .concat('tests', 'bench')
    .filter((dir) => fs.existsSync(path.join(ROOT, dir, 'package.json')));
}

describe('docker/Dockerfile', () => {
  it('copies the package.json of every workspace, or npm ci rejects the lock file', () => {
    const dockerfile = fs.readFileSync(path.join(ROOT, 'docker/Dockerfile'), 'utf8');
    const missing = workspaces().filter((dir) => !dockerfile.includes(`COPY ${dir}/package.json ${dir}/`));
    expect(missing).toEqual([]);
  });
});

describe('services', () => {
  it.each(['api', 'email', 'slack', 'scheduler'])('%s lists every variable it reads in .env.example', (name) => {
    const env = fs.readFileSync(path.join(ROOT, 'services', name, 'src/env.ts'), 'utf8');
    const example = fs.readFileSync(path.join(ROOT, 'services', name, '.env.example'), 'utf8');
    const variables = [...env.matchAll(/^\s{2}([A-Z][A-Z0-9_]+): (?:Type\.|fetchPaceField\()/gm)].map((m) => m[1]);
    // What every service reads, and every consumer, comes in spreads of shared schema pieces.
    if (/^\s{2}\.\.\.serviceEnvFields\(/m.test(env)) variables.push(...Object.keys(serviceEnvFields(0)));
    if (/^\s{2}\.\.\.consumerEnvFields\(/m.test(env)) variables.push(...Object.keys(consumerEnvFields('')));
    expect(variables).toEqual(expect.arrayContaining(['DATABASE_URL', 'KAFKA_BROKERS', 'LOG_LEVEL']));
    if (name !== 'api') expect(variables).toEqual(expect.arrayContaining(['CONSUMER_GROUP', 'RETRY_POLICY']));
    expect(variables.filter((v) => !new RegExp(`^${v}=`, 'm').test(example))).toEqual([]);
  });
});
