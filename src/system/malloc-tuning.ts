/**
 * glibc malloc settings for Lookout's processes, which can only be given in the environment before a
 * process starts: the systemd unit sets the daemon's (systemd/lookout.service, kept equal by a test),
 * `lookout bench` gives the same to the daemon it measures, and the daemon sets its capture
 * processes' own.
 *
 * Measured on this project's x86 machine (docs/performance.md, "Memory"):
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own arena (64 MB of address space,
 *   touched pages kept): ONNX Runtime's, FFmpeg's and libuv's threads. Two are plenty.
 * - MALLOC_MMAP_THRESHOLD_=1048576, the daemon only: glibc raises its mmap threshold each time a large
 *   block is freed, so after the model load (protobuf buffers of 18 MB) the session's big allocations
 *   land in an arena where freed space stays fragmented and counted. A fixed threshold keeps blocks
 *   over 1 MB in their own mappings, returned when freed: the ONNX Runtime session in its worker took
 *   47–78 MB PSS with glibc's default, 30 MB with 1 MB (24 MB with 128 KB, 48–51 MB with 2 MB). Model
 *   inputs (270 KB for SSDLite, 786 KB for the face model) stay under it: mapping and zeroing one per
 *   frame would cost CPU for nothing.
 * - The capture processes keep glibc's adaptive threshold: every full frame (1.3 MB at 768×576) would
 *   be a fresh mapping, and that cost a capture process 25% more CPU (2.2 against 1.7 s per 30 s of
 *   vtest.avi) to save 4 MB.
 */
export const DAEMON_MALLOC: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: '1048576',
};

/** The environment of a process that runs the daemon (the bench's); a value the user set wins. */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [key, value] of Object.entries(DAEMON_MALLOC)) out[key] ??= value;
  return out;
}

/** A capture process's environment: two arenas, and not the daemon's mmap threshold (see above). */
export function captureEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env, MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX ?? DAEMON_MALLOC.MALLOC_ARENA_MAX };
  delete out.MALLOC_MMAP_THRESHOLD_;
  return out;
}

/** Which of the daemon's settings this process runs without (started by hand, not by the unit). */
export function missingMallocTuning(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.keys(DAEMON_MALLOC).filter((key) => env[key] === undefined);
}
