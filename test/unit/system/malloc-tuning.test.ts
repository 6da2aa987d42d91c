// Which glibc malloc settings each of Lookout's processes starts with (src/system/malloc-tuning.ts).
import { captureEnv, daemonEnv, missingMallocTuning } from '../../../src/system/malloc-tuning';

test("the daemon gets two arenas and the 1 MB mmap threshold; the user's own values win", () => {
  expect(daemonEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576' });
  expect(daemonEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
});

test("a capture process gets two arenas but not the daemon's mmap threshold (each frame would be a mapping)", () => {
  const env = captureEnv({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '1048576' });
  expect(env).toEqual({ PATH: '/bin', MALLOC_ARENA_MAX: '2' });
  expect(captureEnv({ MALLOC_ARENA_MAX: '1' }).MALLOC_ARENA_MAX).toBe('1');
});

test('a daemon started without the unit says which settings it lacks', () => {
  expect(missingMallocTuning({})).toEqual(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_']);
  expect(missingMallocTuning(daemonEnv({}))).toEqual([]);
});
