/** The README's measured-figures paragraph is written from the bench's results, and only from them. */
import { describe, expect, it } from 'vitest';
import { END, START, figuresParagraph, replaceParagraph, type BenchResults } from '../../bench/readme.js';

const results: BenchResults = {
  startedAt: '2026-12-07T10:00:00.000Z',
  node: 'v20.20.2',
  cpus: 2,
  quick: false,
  figures: [
    { section: 'detection', name: 'detection, worst case (hung API, within one invocation)', measured: 'max 33.7 s, median 29.0 s sim (n=21)', target: 'max <= 34 s (3 x 10 + 4)', status: 'OK' },
    { section: 'cost', name: 'controller, USD a month, 1 pair (arm64; x86)', measured: '12.86 (x86 14.03)', target: '<= 8.55 (half of 17.10)', status: 'MISSED' },
    { section: 'rehearsal', name: '  rehearsal wall time', measured: '36.6 s', target: '-', status: 'info' },
    { section: 'scale', name: '  probe memory at 50 pairs: peak vs deployed for 50', measured: '214 MiB peak RSS, 1792 MB deployed', target: 'deployed >= 1.5 x peak', status: 'OK' },
    { section: 'cost', name: 'probe memory: measured peak vs deployed', measured: '89 MiB peak RSS (60 invocations), 160 MB deployed', target: 'deployed >= 1.5 x peak', status: 'OK' },
  ],
};

describe('bench:readme', () => {
  it('says each figure the run produced, with its target and status, and names the missed ones', () => {
    const p = figuresParagraph(results);
    expect(p).toContain('From `npm run bench` of 2026-12-07 (Node 20.20.2, 2 shared cores');
    expect(p).toContain('max 33.7 s, median 29.0 s sim (n=21) (target max <= 34 s (3 x 10 + 4): OK)');
    expect(p).toContain('USD 12.86 (x86 14.03) a month for the example (target <= 8.55 (half of 17.10): MISSED)');
    expect(p).toContain('Missed targets: controller, USD a month, 1 pair (arm64; x86).');
    // Each memory figure in its own sentence: the 50-pair one is not taken for the example's.
    expect(p).toContain('at 50 pairs the built probe peaks at 214 MiB peak RSS, 1792 MB deployed (target deployed >= 1.5 x peak: OK)');
    expect(p).toContain('probe memory for the example: 89 MiB peak RSS (60 invocations), 160 MB deployed');
    // Nothing the run did not measure.
    expect(p).not.toMatch(/warm standby|bundle|10 \/ 50 pairs/);
  });

  it('replaces only the text between the markers, and refuses a README without them', () => {
    const readme = `# x\n\nbefore\n${START}\nold text\n${END}\nafter\n`;
    const out = replaceParagraph(readme, 'new text');
    expect(out).toBe(`# x\n\nbefore\n${START}\nnew text\n${END}\nafter\n`);
    expect(() => replaceParagraph('# no markers', 'x')).toThrow(/markers/);
  });
});
