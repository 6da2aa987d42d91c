// The command endpoint: `base/set` and `base/<camera>/set` in, one answer on `<set topic>/result` out
// for every command (docs/mqtt.md). Parsing and the refusal rules are commands.ts; this part routes a
// parsed request to the daemon's handler, turns what it answers (or throws) into the result payload,
// logs it and counts it. How the answer is published is the link's business (`answer`).
import type { Logger } from '../log';
import { errorMessage } from '../util/errors';
import { parseCommand, type CommandRequest } from './commands';
import type { CommandResultPayload } from './schemas';
import type { Topics } from './topics';
import type { SubscriptionFilters } from './connection';

export type CommandResult = { ok: true; details?: Record<string, unknown> } | { ok: false; error: string; details?: Record<string, unknown> };
export type CommandHandler = (request: CommandRequest) => Promise<CommandResult> | CommandResult;

export class CommandEndpoint {
  private cameras: Set<string>;
  private handler: CommandHandler | null = null;
  private received = 0;
  private refused = 0;

  constructor(
    private readonly topics: Topics,
    /** Publishes the answer (on `<set topic>/result`, QoS 1, never retained). */
    private readonly answer: (resultTopic: string, result: CommandResultPayload) => void,
    private readonly log: Logger,
    cameras: string[] = [],
  ) {
    this.cameras = new Set(cameras);
  }

  /** Cameras that accept commands (again after a config reload). */
  setCameras(cameras: string[]): void {
    this.cameras = new Set(cameras);
  }

  onCommand(handler: CommandHandler): void {
    this.handler = handler;
  }

  get counts(): { commands_received: number; commands_refused: number } {
    return { commands_received: this.received, commands_refused: this.refused };
  }

  /**
   * rap (MQTT 5 "retain as published"): a command published with the retain flag shows it even when
   * it arrives live, so it is refused then too, not only when the broker replays it at subscribe.
   */
  filters(protocolVersion: 4 | 5): SubscriptionFilters {
    const rap = protocolVersion === 5;
    return { [this.topics.set()]: { qos: 1, rap }, [this.topics.cameraSetFilter()]: { qos: 1, rap } };
  }

  /** Takes a message if it is a command (answered asynchronously); false for any other topic. */
  receive(topic: string, payload: Buffer, retained: boolean): boolean {
    const camera = this.topics.parseSetTopic(topic);
    if (camera === null) return false;
    void this.handle(topic, camera, payload, retained);
    return true;
  }

  /** Answers one command; resolves once the answer is handed to `answer`. */
  private async handle(setTopic: string, camera: string | undefined, payload: Buffer, retained: boolean): Promise<void> {
    this.received++;
    const parsed = parseCommand({ camera, payload, retained }, this.cameras);
    let result: CommandResultPayload;
    if (!parsed.ok) {
      this.refused++;
      this.log.warn({ topic: setTopic, error: parsed.error }, 'MQTT command refused');
      result = { v: 1, ok: false, error: parsed.error };
      if (parsed.id !== undefined) result.id = parsed.id;
    } else {
      const { request } = parsed;
      let answer: CommandResult;
      if (!this.handler) {
        answer = { ok: false, error: 'commands are not handled by this process' };
      } else {
        try {
          answer = await this.handler(request);
        } catch (e) {
          answer = { ok: false, error: `command failed: ${errorMessage(e)}` };
        }
      }
      if (!answer.ok) this.refused++;
      this.log.info({ camera, command: request.command, ok: answer.ok, error: answer.ok ? undefined : answer.error }, 'MQTT command');
      result = { v: 1, ok: answer.ok };
      if (!answer.ok) result.error = answer.error;
      if (answer.details) result.details = answer.details;
      if (request.id !== undefined) result.id = request.id;
    }
    if (camera !== undefined && this.cameras.has(camera)) result.camera = camera;
    // Answered next to where it was asked (the set topic came from the broker, so it is a valid name).
    this.answer(`${setTopic}/result`, result);
  }
}
