/**
 * The deployed handlers' wiring of X-Ray (shared/observability/tracing.ts): each flow function
 * builds its dependencies with its own tracer's client capture, so in Lambda its SDK clients
 * carry the X-Ray middleware; the health probe builds its dependencies with no capture at all.
 * The composition roots themselves (every client through the capture, the subsegments of real
 * calls) are proven in tests/integration/flow-tracing.test.ts.
 */
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import AWSXRay from 'aws-xray-sdk-core';
import { createEc2Client } from '#shared/adapters/aws/clients.js';
import type { ClientCapture } from '#shared/observability/tracing.js';

/** The arguments each composition root was called with, by function. */
const calls = vi.hoisted(() => new Map<string, unknown[]>());

vi.mock('#shared/runtime/flow-deps.js', () => {
  const record = (fn: string) => (...args: unknown[]) => {
    calls.set(fn, args);
    return Promise.resolve({ clock: { now: () => 0, sleep: () => Promise.resolve() } });
  };
  return { awsStepDepsFromEnv: record('flow-aws'), firewallStepDepsFromEnv: record('flow-firewall'), controlDepsFromEnv: record('flow-control') };
});
vi.mock('#shared/runtime/probe-deps.js', () => ({
  probeDepsFromEnv: (...args: unknown[]) => {
    calls.set('health-probe', args);
    return Promise.reject(new Error('no probe here'));
  },
}));

const context = { functionName: 'f', awsRequestId: 'r-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

type Handler = (event: unknown, context: Context) => Promise<unknown>;
const MODULES: Readonly<Record<string, () => Promise<{ handler: Handler }>>> = {
  'flow-aws': () => import('#functions/flow-aws/handler.js'),
  'flow-firewall': () => import('#functions/flow-firewall/handler.js'),
  'flow-control': () => import('#functions/flow-control/handler.js'),
  'health-probe': () => import('#functions/health-probe/handler.js'),
};

/** Imports a handler as Lambda does (the tracer reads its environment then) and invokes it once. */
async function invokeInLambda(fn: string): Promise<unknown[]> {
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
  process.env.POWERTOOLS_TRACE_ENABLED = 'true';
  const load = MODULES[fn];
  if (load === undefined) throw new Error(fn);
  const { handler } = await load();
  // A step that does not exist: refused after the dependencies are built, before any call. In
  // a segment of the test's own (Lambda's facade segment), never closed, so nothing is sent.
  await AWSXRay.getNamespace().runPromise(async () => {
    AWSXRay.setSegment(new AWSXRay.Segment('invocation'));
    await handler({ step: 'no-such-step', state: {} }, context).catch(() => undefined);
  });
  const args = calls.get(fn);
  if (args === undefined) throw new Error(`${fn} did not build its dependencies`);
  return args;
}

afterEach(() => {
  delete process.env.AWS_EXECUTION_ENV;
  process.env.POWERTOOLS_TRACE_ENABLED = 'false';
  vi.resetModules();
});

const hasXRay = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().some((m) => m.startsWith('XRaySDKInstrumentation'));

describe('X-Ray wiring of the deployed handlers', () => {
  it.each(['flow-aws', 'flow-firewall', 'flow-control'])('%s builds its clients through its tracer: in Lambda they carry the X-Ray middleware', async (fn) => {
    const [, capture] = await invokeInLambda(fn);
    expect(typeof capture).toBe('function');
    expect(hasXRay((capture as ClientCapture)(createEc2Client()))).toBe(true);
  });

  it('health-probe builds its clients with no capture (no tracer in its bundle, for its cold start)', async () => {
    const args = await invokeInLambda('health-probe');
    expect(args).toHaveLength(1);
    expect(hasXRay(createEc2Client())).toBe(false);
  });
});
