import { errorMessage } from '../util/errors';
/**
 * `lookout doctor`'s results: one line per check with what was found and, when it is not right, the
 * fix. A check that throws is a failed check (with its error), never a crashed doctor.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** What was checked, e.g. `camera porch`, `broker`, `model ssdlite_mobilenet_v2_coco`. */
  subject: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about it; only for warn and fail. */
  fix?: string;
}

export interface Check {
  subject: string;
  run(): Promise<CheckResult | CheckResult[]>;
}

export const ok = (subject: string, detail: string): CheckResult => ({ subject, status: 'ok', detail });
export const warn = (subject: string, detail: string, fix?: string): CheckResult => ({ subject, status: 'warn', detail, ...(fix ? { fix } : {}) });
export const fail = (subject: string, detail: string, fix?: string): CheckResult => ({ subject, status: 'fail', detail, ...(fix ? { fix } : {}) });

/** Runs the checks one after the other (cameras and brokers do not like being probed in parallel), reporting each as it ends. */
export async function runChecks(checks: readonly Check[], onResult: (r: CheckResult) => void = () => undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    let got: CheckResult[];
    try {
      const r = await check.run();
      got = Array.isArray(r) ? r : [r];
    } catch (e) {
      got = [fail(check.subject, `the check itself failed: ${errorMessage(e)}`)];
    }
    for (const r of got) {
      results.push(r);
      onResult(r);
    }
  }
  return results;
}

const MARK: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

export function formatResult(r: CheckResult): string {
  const head = `${MARK[r.status]}  ${r.subject}: ${r.detail}`;
  return r.fix ? `${head}\n      fix: ${r.fix}` : head;
}

export function summary(results: readonly CheckResult[]): string {
  const count = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  return `${results.length} checks: ${count('ok')} ok, ${count('warn')} warnings, ${count('fail')} failed`;
}

/** 0 only when nothing failed (warnings are things to know, not faults). */
export function doctorExitCode(results: readonly CheckResult[]): number {
  return results.some((r) => r.status === 'fail') ? 1 : 0;
}
