/** The drill's records and the expected RTO `status` shows (`shared/domain/drill.ts`, the drill history in the state table). */
import { describe, expect, it } from 'vitest';
import { drillHolder, expectedRto, isDrillHolder } from '#shared/domain/drill.js';
import { DRILL_HISTORY, type DrillRecord } from '#shared/ports/store.js';
import { makeConfig, makePair } from '../support/config.js';
import { worldHarness } from '../support/fake-firewalls.js';

const drill = (bootSeconds: number | undefined, outcome: DrillRecord['outcome'] = 'succeeded'): DrillRecord => ({
  startedAt: 0,
  endedAt: 1,
  standby: 'fw-b',
  outcome,
  summary: 's',
  ...(bootSeconds === undefined ? {} : { bootSeconds }),
});

describe('expected RTO', () => {
  it('detection (3 rounds of 10 s) plus the median boot of the last five drills that measured one', () => {
    const pair = makePair();
    expect(expectedRto(pair, [])).toEqual({ detectionSeconds: 30, bootSeconds: undefined, boots: 0, totalSeconds: undefined });
    const rto = expectedRto(pair, [drill(900), drill(380), drill(undefined, 'failed'), drill(400), drill(390), drill(410), drill(370)]);
    // 900 s is older than the last five boots: 380, 400, 390, 410, 370 -> median 390.
    expect(rto).toEqual({ detectionSeconds: 30, bootSeconds: 390, boots: 5, totalSeconds: 420 });
  });

  it("a drill's lock is recognised (a failover takes it over); a flow's is not", () => {
    expect(isDrillHolder(drillHolder('hq-egress-2026'))).toBe(true);
    expect(isDrillHolder('hq-egress-failover-20260101T090548Z-1')).toBe(false);
    expect(isDrillHolder(undefined)).toBe(false);
  });

  it(`the state table keeps the last ${DRILL_HISTORY} drills of a pair, in order`, async () => {
    const h = worldHarness(makeConfig());
    try {
      const store = h.ports.store;
      expect(await store.getDrills('hq-egress')).toEqual([]);
      for (let i = 0; i < DRILL_HISTORY + 2; i++) await store.recordDrill('hq-egress', drill(300 + i));
      const kept = await store.getDrills('hq-egress');
      expect(kept.map((d) => d.bootSeconds)).toEqual(Array.from({ length: DRILL_HISTORY }, (_, i) => 302 + i));
    } finally {
      h.close();
    }
  });
});

describe("advice about a drill's lock", () => {
  it('names a --local drill as a CLI run, and the take-over command it would need', async () => {
    const { lockAdvice } = await import('#cli/advice.js');
    const lines = lockAdvice('hq-egress', 'drill', 'drill:cli-hq-egress-drill-20261207T101500-a1b2c3', undefined, 0);
    expect(lines[0]).toContain('(a --local run of the CLI)');
    expect(lines[2]).toContain('pan-failover drill -p hq-egress --local --take-over drill:cli-hq-egress-drill-20261207T101500-a1b2c3');
    expect(lockAdvice('hq-egress', 'drill', 'drill:hq-egress-weekly-1', undefined, 0)[0]).toContain('(an execution of the deployed state machine)');
  });
});
