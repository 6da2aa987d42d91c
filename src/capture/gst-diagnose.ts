/**
 * When OpenCV fails to open a GStreamer pipeline it often says nothing useful (a missing element
 * shows up as "Internal data stream error", a syntax error as nothing at all). After such a failure
 * only, ask gst-inspect-1.0 (gstreamer1.0-tools, installed by setup.sh) which elements are missing.
 */
import { execFile } from 'node:child_process';
import { pipelineElements } from './gst-syntax';

function elementExists(name: string, timeoutMs: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    execFile('gst-inspect-1.0', ['--exists', name], { timeout: timeoutMs }, (err) => {
      if (!err) return resolve(true);
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      // ENOENT: the tool is not installed; killed: it hung. Either way we know nothing.
      if (e.code === 'ENOENT' || e.killed) return resolve(undefined);
      resolve(typeof e.code === 'number' ? false : undefined);
    });
  });
}

/** "GStreamer has no element 'x', 'y' (plugin not installed?)", or undefined when all exist or we cannot tell. */
export async function diagnoseGstPipeline(pipeline: string, timeoutMs = 5000): Promise<string | undefined> {
  const names = pipelineElements(pipeline);
  const found = await Promise.all(names.map((n) => elementExists(n, timeoutMs)));
  const missing = names.filter((_, i) => found[i] === false);
  if (missing.length === 0) return undefined;
  return `GStreamer has no element ${missing.map((m) => `'${m}'`).join(', ')} (plugin not installed, or a typo?)`;
}
