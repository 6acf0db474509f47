/**
 * The second example, examples/tokyo-egress.yaml (ap-northeast-1, warm standby,
 * mgmt-interface-swap, proxy-IDs, notifications in Japanese), runs as it is on the simulator:
 * a forced failover moves its routes and EIP to fw-tokyo-c, and the on-call team's e-mail is in
 * Japanese with the timeline and the link to its own runbook, while SQS gets the JSON.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '#shared/config/load.js';
import type { SimSystem } from '#sim/system.js';
import { notices, resultNotice, startOrch } from './support/orch-system.js';

let system: SimSystem | undefined;
afterEach(async () => {
  await system?.close();
  system = undefined;
});

describe('examples/tokyo-egress.yaml on the simulator', () => {
  it('fails over to the warm standby, and notifies in Japanese with the timeline and the Japanese runbook', async () => {
    const config = await loadConfigFile('examples/tokyo-egress.yaml');
    expect(config.pairs[0]?.firewalls.primary.availabilityZone).toBe('ap-northeast-1a');
    system = await startOrch({ config });
    await system.invokeProbe();
    expect((await system.ownerRecord(config.pairs[0]))?.owner).toBe('primary');
    const run = await system.runFlow(
      { pair: 'tokyo-egress', action: 'failover', force: true, reason: 'planned maintenance of fw-tokyo-a' },
      'failover-tokyo-1',
    );
    expect(run.status).toBe('SUCCEEDED');
    expect(run.state?.result?.outcome).toBe('succeeded');

    const result = resultNotice(system, 'failover-tokyo-1');
    expect(result.subject).toMatch(/^\[pan-failover\] tokyo-egress FAILOVER succeeded: fw-tokyo-c is active \(/);
    expect(result.email).toMatch(/^tokyo-egress のフェイルオーバーが成功しました: fw-tokyo-c がアクティブです/);
    expect(result.email).toMatch(/\nタイムライン \(UTC\):\n( {2}.+\n)* {2}\d\d:\d\d:\d\d {2}cutover /);
    expect(result.email).toContain('切り替えたもの:\n  replace route 0.0.0.0/0 in rtb-0f000000000000101: eni-0f100000000000011 -> eni-0f200000000000011\n');
    // A planned (forced, manual) failover: no "find out why it failed".
    expect(result.email).toContain('今やること: fw-tokyo-a の作業が終わったらフェイルバックしてください');
    expect(result.email).toContain('ランブック: https://git.example.co.jp/netops/pan-failover/blob/main/docs/runbook.ja.md#flow-succeeded');
    // Machines still get the JSON.
    expect(result.body).toMatchObject({ pair: 'tokyo-egress', event: 'result', result: { outcome: 'succeeded' } });
    // Every message of the flow is Japanese for people and ASCII in its subject.
    for (const n of notices(system)) {
      expect(n.subject).toMatch(/^[\x20-\x7e]+$/);
      expect(n.email).toMatch(/[\u3040-\u30ff]/);
    }
  }, 120_000);
});
