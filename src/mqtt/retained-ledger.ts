// What Lookout has left retained on the broker, remembered in state_dir across restarts. Retained
// messages outlive the process: a camera, label, zone or Home Assistant entity that left the config
// while Lookout was stopped (or `homeassistant.discovery` switched off) would otherwise stay on the
// broker for ever, as a ghost entity with a stale value. At the next start, whatever the ledger lists
// and the new run does not publish is cleared with an empty retained message.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';

interface LedgerFile {
  v: 1;
  topics: string[];
}

export class RetainedLedger {
  private readonly topics = new Set<string>();
  private saveFailed = false;
  /** Topics the previous run left retained, until the sweep at start. */
  private readonly previous: Set<string>;

  /** `file` null: nothing is remembered (tests, or no state_dir). */
  constructor(
    private readonly file: string | null,
    private readonly log: Logger,
  ) {
    this.previous = new Set(file ? this.read(file) : []);
  }

  /** A retained topic now holds a message of ours. */
  add(topic: string): void {
    if (this.topics.has(topic)) return;
    this.topics.add(topic);
    this.save();
  }

  /** A retained topic of ours was cleared. */
  delete(topic: string): void {
    if (!this.topics.delete(topic)) return;
    this.save();
  }

  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  private read(file: string): string[] {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn({ file, err: e }, 'cannot read the list of retained topics of the last run; stale ones stay on the broker');
      return [];
    }
    try {
      const parsed = JSON.parse(text) as Partial<LedgerFile>;
      if (parsed.v !== 1 || !Array.isArray(parsed.topics)) throw new Error('not a v1 ledger');
      return parsed.topics.filter((t): t is string => typeof t === 'string' && t.length > 0);
    } catch (e) {
      this.log.warn({ file, err: e }, 'the list of retained topics of the last run is damaged; ignoring it');
      return [];
    }
  }

  private save(): void {
    if (!this.file) return;
    // The previous run's topics stay listed until they are cleared, so a crash before the sweep at
    // start loses none of them.
    const body: LedgerFile = { v: 1, topics: [...new Set([...this.previous, ...this.topics])].sort() };
    const tmp = `${this.file}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(tmp, JSON.stringify(body));
      fs.renameSync(tmp, this.file);
      this.saveFailed = false;
    } catch (e) {
      // Once per failure streak: every new topic tries again, and a read-only state_dir must not flood the log.
      if (!this.saveFailed)
        this.log.warn({ file: this.file, err: e }, 'cannot save the list of retained topics; entities removed while Lookout is stopped may stay on the broker');
      this.saveFailed = true;
    }
  }

  /**
   * The previous run's topics that this run has not published and `keep` does not claim (a snapshot
   * topic waits for the next event): they are the caller's to clear. Called once, after start.
   */
  takeStale(keep: (topic: string) => boolean): string[] {
    const stale: string[] = [];
    for (const t of this.previous) {
      if (this.topics.has(t)) continue;
      if (keep(t)) this.topics.add(t);
      else stale.push(t);
    }
    this.previous.clear();
    this.save();
    return stale;
  }
}
