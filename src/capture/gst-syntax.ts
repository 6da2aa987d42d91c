/** Reading a GStreamer pipeline description as text: its elements, and mistakes visible before GStreamer runs it. */

/** Splits on `!` outside double quotes. */
function segments(pipeline: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of pipeline) {
    if (ch === '"') quoted = !quoted;
    if (ch === '!' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur.trim());
  return out;
}

/** Element factory names in a pipeline (caps filters and `name.` pad references left out). */
export function pipelineElements(pipeline: string): string[] {
  const names: string[] = [];
  for (const seg of segments(pipeline)) {
    const first = seg.split(/\s+/)[0] ?? '';
    if (first === '' || first.includes('/') || first.endsWith('.') || first.includes('=')) continue;
    if (!names.includes(first)) names.push(first);
  }
  return names;
}

/** What is wrong with a user pipeline before GStreamer sees it; empty when it looks usable. */
export function gstPipelineProblems(pipeline: string): string[] {
  const problems: string[] = [];
  const segs = segments(pipeline);
  if ((pipeline.match(/"/g)?.length ?? 0) % 2 === 1) problems.push('unbalanced double quote');
  if (segs.some((s) => s === '')) problems.push("empty element between '!' (or a leading/trailing '!')");
  const last = segs[segs.length - 1] ?? '';
  if (!/^appsink(\s|$)/.test(last)) {
    problems.push(`must end in 'appsink' (OpenCV takes frames from it), but ends in '${last.split(/\s+/)[0] ?? ''}'`);
  }
  return problems;
}
