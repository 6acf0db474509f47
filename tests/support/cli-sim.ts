/**
 * Running the operators' CLI commands, as functions, against a `wire` SimSystem: what
 * `pan-failover sim` sets up for a person (the run configuration written to a file, the
 * environment pointing the SDK at the simulator), plus capture of what a command prints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vi } from 'vitest';
import { stringify } from 'yaml';
import { SimSystem, type SimSystemOptions } from '#sim/system.js';
import { SIM_TABLE } from '#sim/scenario/topology-from-config.js';
import type { WorldEvent, WorldEventType } from '#sim/world/event-log.js';
import type { World } from '#sim/world/world.js';
import { makeConfig } from './config.js';

const ENV_KEYS = [
  'AWS_ENDPOINT_URL',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'PAN_FAILOVER_TABLE',
  'PAN_FAILOVER_TOPIC_ARN',
  'PAN_FAILOVER_STATE_MACHINE_ARN',
  'PAN_FAILOVER_CONFIG_FILE',
] as const;

export interface CliSim {
  readonly system: SimSystem;
  /** The run configuration (management addresses of the simulated firewalls, their pinned certificates). */
  readonly configPath: string;
  /** A scratch directory, removed by `close`. */
  readonly dir: string;
  close(): Promise<void>;
}

/**
 * A quiet simulator (no probe schedule, no alarm trigger: nothing acts unless the test does)
 * and the environment the CLI reads. No state machine ARN: `--local` runs stay in-process.
 *
 * The CLI runs on the real clock while the simulator's runs faster; the simulated clock starts
 * an hour back so the firewalls have been up for an hour on both clocks (not "just booted").
 */
export async function startCliSim(options: Partial<SimSystemOptions> = {}): Promise<CliSim> {
  const saved = new Map(ENV_KEYS.map((k) => [k, process.env[k]]));
  const system = await SimSystem.start({
    config: makeConfig(),
    speed: 30,
    transport: 'wire',
    schedule: false,
    alarmTrigger: false,
    clockStart: Date.now() - 3_600_000,
    ...options,
  });
  const dir = mkdtempSync(join(tmpdir(), 'pan-failover-cli-'));
  const configPath = join(dir, 'pan-failover.yaml');
  writeFileSync(configPath, stringify(system.config));
  process.env.PAN_FAILOVER_TABLE = SIM_TABLE;
  process.env.PAN_FAILOVER_TOPIC_ARN = system.topicArn;
  delete process.env.PAN_FAILOVER_STATE_MACHINE_ARN;
  delete process.env.PAN_FAILOVER_CONFIG_FILE;
  return {
    system,
    configPath,
    dir,
    close: async () => {
      await system.close();
      rmSync(dir, { recursive: true, force: true });
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

export interface Captured<T> {
  readonly result: T;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `fn` with process.stdout/stderr writes captured (and not shown). Restores them even if it throws. */
export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  const out: string[] = [];
  const err: string[] = [];
  const grab = (sink: string[]) => (chunk: string | Uint8Array) => {
    sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(grab(out));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(grab(err));
  try {
    const result = await fn();
    return { result, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** World events that change something: routes, EIPs, instances, DNS, the state table, executions. */
export const CHANGE_EVENTS: readonly WorldEventType[] = [
  'ec2.instance.state',
  'ec2.instance.type',
  'ec2.instance.attribute',
  'ec2.route.replaced',
  'ec2.route.created',
  'ec2.eip.associated',
  'ec2.eip.disassociated',
  'route53.change.submitted',
  'dynamodb.item.put',
  'dynamodb.item.updated',
  'dynamodb.item.deleted',
  'sfn.execution.started',
];

/** Change events recorded after event number `seq`. */
export function changesSince(world: World, seq: number): WorldEvent[] {
  return world.events.list({ type: CHANGE_EVENTS }).filter((e) => e.seq > seq);
}

/** The sequence number of the last event so far. */
export function lastSeq(world: World): number {
  return world.events.list().at(-1)?.seq ?? 0;
}
