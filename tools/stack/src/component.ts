import { StackError } from './errors.ts';
import { portHolder, portOpen, runningPid, startDetached, stopProcessGroup } from './proc.ts';

/** `extra`: started only when named (`up redis`), never by `npm start`, `npm test` or `up infra`. */
export type Kind = 'infrastructure' | 'service' | 'extra';

/** Something the stack starts, checks and stops. */
export interface Component {
  readonly name: string;
  readonly kind: Kind;
  /** TCP ports it listens on; the stack checks they are free before starting it. */
  readonly ports: readonly number[];
  /** What to print for people: label → URL. */
  readonly urls: Readonly<Record<string, string>>;
  /** How long start-up may take before `up` gives up. */
  readonly readyTimeoutMs: number;
  /** Fails fast, with one line, when a prerequisite is missing (before anything is started). */
  check?(): void;
  /** Downloads or builds what it runs (cached). */
  prepare(): Promise<void>;
  /** Launches it detached from the stack tool. */
  launch(): Promise<void>;
  /** Whether it answers (a real request, not only an open port). */
  ready(): Promise<boolean>;
  /** The pid of the process the stack started and that still runs. */
  pid(): number | undefined;
  /** True when it is a server the stack found running and must not stop (an existing PostgreSQL). */
  external?(): Promise<boolean>;
  stop(): Promise<void>;
}

/** What a process component runs. */
export interface Launch {
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** A component that is one long-running process started by the stack. */
export function processComponent(spec: {
  name: string;
  kind: Kind;
  ports: readonly number[];
  urls?: Record<string, string>;
  readyTimeoutMs?: number;
  check?: () => void;
  prepare?: () => Promise<void>;
  launch: () => Promise<Launch> | Launch;
  ready: () => Promise<boolean>;
}): Component {
  return {
    name: spec.name,
    kind: spec.kind,
    ports: spec.ports,
    urls: spec.urls ?? {},
    readyTimeoutMs: spec.readyTimeoutMs ?? 60_000,
    ...(spec.check ? { check: spec.check } : {}),
    prepare: spec.prepare ?? (async () => undefined),
    async launch() {
      const { command, args, cwd, env } = await spec.launch();
      startDetached(spec.name, command, args, { cwd, env });
    },
    ready: spec.ready,
    pid: () => runningPid(spec.name),
    async stop() {
      const pid = runningPid(spec.name);
      if (pid !== undefined) await stopProcessGroup(pid);
    },
  };
}

/** Throws a StackError naming the holder of the first taken port. */
export async function assertPortsFree(component: Component): Promise<void> {
  for (const port of component.ports) {
    if (await portOpen(port)) {
      const holder = portHolder(port) ?? 'another process';
      throw new StackError(
        `port ${port}, needed by ${component.name}, is taken by ${holder}: stop it, then run the command again`,
      );
    }
  }
}
