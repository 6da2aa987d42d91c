// Home Assistant discovery on the wire: the entity configs that discovery.ts builds are published
// retained (only when changed), entities that went away are cleared with an empty retained message,
// and all of them are published again when Home Assistant announces `online` on its status topic
// (it may have started with an empty broker).
import type { Logger } from '../log';
import { buildDiscovery, type DiscoveryCamera } from './discovery';
import type { MqttLinkOptions } from './link-options';
import type { RetainedState } from './retained-state';
import type { Topics } from './topics';
import type { SubscriptionFilters } from './connection';

export type DiscoverySettings = NonNullable<MqttLinkOptions['discovery']> & { deviceId: string; version?: string };

export class DiscoveryPublisher {
  private readonly published = new Set<string>();
  private announced: DiscoveryCamera[] = [];

  constructor(
    private readonly s: DiscoverySettings,
    private readonly topics: Topics,
    private readonly retained: RetainedState,
    private readonly log: Logger,
  ) {}

  get enabled(): boolean {
    return this.s.enabled ?? true;
  }
  get prefix(): string {
    return this.s.prefix ?? 'homeassistant';
  }
  /** Where Home Assistant says `online` when it starts. */
  get statusTopic(): string {
    return this.s.statusTopic || `${this.prefix}/status`;
  }
  /** The entities last given to `set`. */
  get cameras(): readonly DiscoveryCamera[] {
    return this.announced;
  }

  filters(): SubscriptionFilters {
    return this.enabled ? { [this.statusTopic]: { qos: 1 } } : {};
  }

  /**
   * The entities to announce. Publishes new or changed configs and clears entities that are gone.
   * Call again whenever cameras or tracked labels change.
   */
  set(cameras: DiscoveryCamera[]): void {
    if (!this.enabled) return;
    this.announced = cameras;
    const next = buildDiscovery(
      this.topics,
      {
        prefix: this.prefix,
        deviceId: this.s.deviceId,
        version: this.s.version ?? '0.0.0',
        ...(this.s.deviceName !== undefined ? { deviceName: this.s.deviceName } : {}),
        ...(this.s.model !== undefined ? { model: this.s.model } : {}),
        ...(this.s.configurationUrl ? { configurationUrl: this.s.configurationUrl } : {}),
      },
      cameras,
    );
    for (const topic of [...this.published]) {
      if (!next.has(topic)) {
        this.published.delete(topic);
        this.retained.clear(topic);
      }
    }
    for (const [topic, config] of next) {
      this.published.add(topic);
      this.retained.publish(topic, Buffer.from(JSON.stringify(config)));
    }
  }

  /** Takes Home Assistant's status messages; false for any other topic. */
  receive(topic: string, payload: Buffer, retained: boolean): boolean {
    if (!this.enabled || topic !== this.statusTopic) return false;
    // HA announces its start non-retained; a retained copy arrives at every subscribe and is no news.
    if (!retained && payload.toString() === 'online') {
      this.log.info('Home Assistant came online: republishing discovery');
      for (const t of this.published) {
        const payloadNow = this.retained.payloadOf(t);
        if (payloadNow) this.retained.publish(t, payloadNow, true);
      }
    }
    return true;
  }
}
