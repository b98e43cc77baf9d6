/** How the many-ids phase is judged and reported. */
import { describe, expect, it } from 'vitest';
import { judgeManyIds, MANY_IDS_BOUNDS } from '../../../tools/bench/many-ids.ts';
import { manyIdsSection } from '../../../tools/bench/report.ts';
import { manyIds } from '../../support/bench-results.ts';

describe('the many-ids bound', () => {
  it.each([
    ['flat memory and latency', 2, 1.1, true],
    ['memory that grows past the bound', 40, 1.1, false],
    ['cached reads that slow down past the bound', 2, 3, false],
  ])('judges %s', (_what, growthMiB, hotRatio, pass) => {
    expect(judgeManyIds(manyIds(growthMiB, hotRatio)).pass).toBe(pass);
  });

  it('fails a phase with no blocks rather than passing it', () => {
    expect(judgeManyIds({ blocks: [] }).pass).toBe(false);
  });

  it('reports every block and the verdict against the stated bound', () => {
    const text = manyIdsSection(manyIds(40, 1.1));
    expect(text).toContain('| 5,000 |');
    expect(text).toContain(`${MANY_IDS_BOUNDS.hotP99Ratio}×`);
    expect(text).toContain('**FAIL**');
  });
});
