/**
 * glibc malloc settings and V8 flags for Lookout's processes, which can only be given in the
 * environment before a process starts: the systemd unit sets the daemon's (systemd/lookout.service,
 * kept equal by a test), `lookout bench` gives the same to the daemon it measures, and the daemon sets
 * its capture processes' own.
 *
 * Measured on this project's x86 machine (docs/performance.md, "Memory"):
 * - MALLOC_ARENA_MAX=2: glibc gives each thread that allocates its own arena (64 MB of address space,
 *   touched pages kept): ONNX Runtime's, FFmpeg's and libuv's threads. Two are plenty (a capture
 *   process gets one: CAPTURE_ARENA_MAX).
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

/**
 * V8's young generation for the daemon, in NODE_OPTIONS (the unit's `Environment=`, the bench's
 * daemon): semi-spaces of 1 MB instead of V8's default, which grows them to 16 MB under the daemon's
 * allocation rate. V8 flags are process-wide, so this bounds the main isolate and the inference
 * worker's alike (no `resourceLimits` needed on the worker). The buffers that reach JavaScript (a
 * model input, 270 KB, from the frame pipe; results) are freed by the scavenge that finds them dead,
 * and with small semi-spaces that comes sooner: one camera on vtest.avi at 30 FPS, `lookout run`
 * after 45 s, daemon PSS 180 / 179 MB with V8's default, 128 / 135 MB with 1 MB (2 MB: 155 / 138;
 * 4 MB: 162 / 189), its malloc heap 79 → 49–53 MB and anonymous memory 83 → 67 MB; daemon CPU per
 * frame 27.1 / 26.9 ms against 26.4 / 26.0 ms (more, cheaper scavenges cost nothing measurable).
 */
export const DAEMON_V8_FLAG = '--max-semi-space-size=1';

/** Everything the unit sets for the daemon's memory, as `Environment=` entries. */
export const DAEMON_ENV: Readonly<Record<string, string>> = { ...DAEMON_MALLOC, NODE_OPTIONS: DAEMON_V8_FLAG };

function hasSemiSpaceFlag(options: readonly string[]): boolean {
  return options.some((o) => /^--max[-_]semi[-_]space[-_]size(=|$)/.test(o));
}

/**
 * The environment of a process that runs the daemon (the bench's); a value the user set wins. A
 * user's NODE_OPTIONS is kept and gets the semi-space flag added unless it sets one itself.
 */
export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [key, value] of Object.entries(DAEMON_MALLOC)) out[key] ??= value;
  const nodeOptions = env.NODE_OPTIONS?.trim();
  if (!nodeOptions) out.NODE_OPTIONS = DAEMON_V8_FLAG;
  else if (!hasSemiSpaceFlag(nodeOptions.split(/\s+/))) out.NODE_OPTIONS = `${nodeOptions} ${DAEMON_V8_FLAG}`;
  return out;
}

/**
 * A capture process's malloc arenas: one. Its threads (the JavaScript loop, libuv's that decode and
 * encode) allocate little besides frames, and a second arena only kept its own touched pages: with
 * one, each capture process had 5-7 MB less private dirty (one camera: 67 against 72 MB; two: 75 / 75
 * against 82 / 81 and 84 / 87 MB), CPU per frame the same within the noise.
 */
export const CAPTURE_ARENA_MAX = '1';

/**
 * A capture process's environment: one arena, and not the daemon's mmap threshold (see above). The
 * daemon's own arena setting (the unit's) is replaced; another value the user gave is kept.
 */
export function captureEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const given = env.MALLOC_ARENA_MAX;
  const arenas = given === undefined || given === DAEMON_MALLOC.MALLOC_ARENA_MAX ? CAPTURE_ARENA_MAX : given;
  const out: NodeJS.ProcessEnv = { ...env, MALLOC_ARENA_MAX: arenas };
  delete out.MALLOC_MMAP_THRESHOLD_;
  return out;
}

/**
 * Which of the daemon's settings this process runs without (started by hand, not by the unit):
 * malloc variables by name, and `NODE_OPTIONS` when no semi-space size was given, neither there nor
 * on the command line.
 */
export function missingMallocTuning(env: NodeJS.ProcessEnv = process.env, execArgv: readonly string[] = process.execArgv): string[] {
  const missing = Object.keys(DAEMON_MALLOC).filter((key) => env[key] === undefined);
  if (!hasSemiSpaceFlag([...(env.NODE_OPTIONS?.trim().split(/\s+/) ?? []), ...execArgv])) missing.push('NODE_OPTIONS');
  return missing;
}
