// Which glibc malloc settings and V8 flags each of Lookout's processes starts with (src/system/malloc-tuning.ts).
import { captureEnv, DAEMON_ENV, daemonEnv, missingMallocTuning } from '../../../src/system/malloc-tuning';

test("the daemon gets two arenas, the 1 MB mmap threshold and 1 MB semi-spaces; the user's own values win", () => {
  expect(daemonEnv({ PATH: '/bin' })).toEqual({
    PATH: '/bin',
    MALLOC_ARENA_MAX: '2',
    MALLOC_MMAP_THRESHOLD_: '1048576',
    NODE_OPTIONS: '--max-semi-space-size=1',
  });
  expect(daemonEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', ...DAEMON_ENV });
  expect(daemonEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
});

test("a user's NODE_OPTIONS is kept, with the semi-space flag added unless it sets its own", () => {
  expect(daemonEnv({ NODE_OPTIONS: '--enable-source-maps' }).NODE_OPTIONS).toBe('--enable-source-maps --max-semi-space-size=1');
  expect(daemonEnv({ NODE_OPTIONS: '--max-semi-space-size=8' }).NODE_OPTIONS).toBe('--max-semi-space-size=8');
  expect(daemonEnv({ NODE_OPTIONS: '--max_semi_space_size=8 --trace-gc' }).NODE_OPTIONS).toBe('--max_semi_space_size=8 --trace-gc');
  expect(daemonEnv({ NODE_OPTIONS: '  ' }).NODE_OPTIONS).toBe('--max-semi-space-size=1');
});

test("a capture process gets one arena, not the daemon's two nor its mmap threshold (each frame would be a mapping)", () => {
  expect(captureEnv({ PATH: '/bin', MALLOC_MMAP_THRESHOLD_: '1048576' })).toEqual({ PATH: '/bin', MALLOC_ARENA_MAX: '1' });
  expect(captureEnv(daemonEnv({ PATH: '/bin' })).MALLOC_ARENA_MAX).toBe('1');
  // Another value the user gave is theirs.
  expect(captureEnv({ MALLOC_ARENA_MAX: '4' }).MALLOC_ARENA_MAX).toBe('4');
});

test('a daemon started without the unit says which settings it lacks', () => {
  expect(missingMallocTuning({}, [])).toEqual(['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS']);
  expect(missingMallocTuning(daemonEnv({}), [])).toEqual([]);
  // The flag on node's own command line counts too.
  expect(missingMallocTuning({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1' }, ['--max-semi-space-size=2'])).toEqual([]);
});
