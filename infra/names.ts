/**
 * The names a deployment gives its controller's resources, from its stage. Shared by the
 * deployment (infra/deployment.ts) and the CLI's `--stage`, so both always agree. Pure and small:
 * the CLI loads it at every start.
 */
export const SERVICE = 'pan-failover';
export const DEFAULT_STAGE = 'dev';
export const STAGE_PATTERN = /^[a-z0-9-]{1,16}$/;

export interface StageNames {
  /** `pan-failover-<stage>`: the prefix of every name, and the state machine's name. */
  readonly prefix: string;
  readonly stateMachine: string;
  /** The probe loop (Express): EventBridge starts it once a minute, it invokes the probe once per round. */
  readonly probeLoop: string;
  readonly table: string;
  readonly topic: string;
}

export function stageNames(stage: string, service: string = SERVICE): StageNames {
  const prefix = `${service}-${stage}`;
  return { prefix, stateMachine: prefix, probeLoop: `${prefix}-probe-loop`, table: `${prefix}-state`, topic: `${prefix}-notifications` };
}
