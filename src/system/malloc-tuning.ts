/**
 * glibc malloc settings for Lookout's processes, which can only be given in the environment before a
 * process starts: the systemd unit sets them for the daemon (systemd/lookout.service, kept equal by
 * a test), the daemon for its capture processes, `lookout bench` for the daemon it measures.
 *
 * Measured on vtest.avi, one camera (docs/performance.md, "Memory"):
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own arena (64 MB of address space,
 *   touched pages kept): ONNX Runtime's, FFmpeg's and libuv's threads. Two are plenty.
 * - MALLOC_MMAP_THRESHOLD_=131072: glibc raises its mmap threshold each time a large block is freed,
 *   so after the model loads (protobuf buffers of 18 MB) every big allocation — the session's
 *   weights, frame-sized buffers — lands in an arena, where freed space stays fragmented and counted.
 *   Fixing the threshold keeps blocks over 128 KB in their own mappings, returned when freed: the
 *   ONNX Runtime session in its worker fell from 47–78 MB to 28 MB PSS.
 */
export const MALLOC_TUNING: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '131072',
};

/** The settings for a child process's environment; a value the user set in `env` wins. */
export function mallocEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(MALLOC_TUNING)) out[key] = env[key] ?? value;
  return out;
}

/** Which settings this process runs without (started by hand rather than by the unit): for the log at start. */
export function missingMallocTuning(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(MALLOC_TUNING).filter((key) => env[key] === undefined);
}
