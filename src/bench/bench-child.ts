/**
 * A measurement in a fresh process: `lookout bench` forks this file for each job whose memory must
 * be its own (a long memory run of the daemon, one ORT memory variant), since the bench's own process
 * has by then loaded sessions, OpenCV and frames that would count in its PSS. One job per process:
 * it arrives as the first IPC message, its result (or error) goes back the same way, then it exits.
 */
import type { Logger } from '../log';
import { silentLogger } from '../log';
import type { BareSessionOptions } from './bare-session';
import type { BenchInput } from './input';
import type { OrtMemoryVariant } from './ort-memory';
import type { PipelineOptions } from './pipeline-run';
import { errorMessage } from '../util/errors';

export type BenchChildJob =
  | { kind: 'pipeline'; options: Omit<PipelineOptions, 'logger'> }
  | {
      kind: 'ort-memory';
      session: BareSessionOptions;
      variant: OrtMemoryVariant;
      input: Omit<BenchInput, 'data'> & { data: number[]; float: boolean };
      runs: number;
    };

export type BenchChildReply = { ok: true; result: unknown } | { ok: false; error: string };

// Each job loads only what it measures: an ORT memory variant's process holds no daemon, OpenCV or
// MQTT client (their pages would be in its PSS, and loading them is most of a short job's time).
async function run(job: BenchChildJob, logger: Logger): Promise<unknown> {
  if (job.kind === 'pipeline') {
    const { runPipeline } = await import('./pipeline-run');
    return runPipeline({ ...job.options, logger });
  }
  const { measureOrtMemory } = await import('./ort-memory');
  const input: BenchInput = { ...job.input, data: job.input.float ? Float32Array.from(job.input.data) : Uint8Array.from(job.input.data) };
  return measureOrtMemory(job.session, job.variant, input, job.runs);
}

if (require.main === module && process.send) {
  process.once('message', (job: BenchChildJob) => {
    run(job, silentLogger).then(
      (result) => process.send!({ ok: true, result } satisfies BenchChildReply, () => process.exit(0)),
      (e: unknown) => process.send!({ ok: false, error: errorMessage(e) } satisfies BenchChildReply, () => process.exit(1)),
    );
  });
}
