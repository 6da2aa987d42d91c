import { configuredCounts } from '../../../src/pipeline/counts';

describe('configuredCounts', () => {
  it('every tracked label, and every zone with the labels it counts', () => {
    const keys = configuredCounts({
      trackedLabels: ['person', 'car'],
      zones: [
        { name: 'drive', points: [] },
        { name: 'door', points: [], labels: new Set(['person', 'dog']) },
      ],
    });
    expect(keys).toEqual([
      { label: 'person' },
      { label: 'car' },
      { label: 'person', zone: 'drive' },
      { label: 'car', zone: 'drive' },
      { label: 'person', zone: 'door' },
    ]);
  });
});
