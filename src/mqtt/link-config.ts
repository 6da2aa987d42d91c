/**
 * The MQTT link's options from Lookout's config: broker, TLS, identity, backoff, queue, discovery and
 * the retained-topic ledger in state_dir. Pure, so the daemon only wires the link it gets.
 */
import path from 'node:path';
import type { LookoutConfig } from '../config';
import type { MqttLinkOptions } from './link';

export interface LinkChoice {
  /** Broker URL chosen at startup (zero-setup may pick the embedded broker); default mqtt.url. */
  url?: string;
  /** 4 for the embedded broker (MQTT 3.1.1 only); default mqtt.protocol_version. */
  protocolVersion?: 4 | 5;
  version: string;
}

export function linkOptions(c: LookoutConfig, choice: LinkChoice): MqttLinkOptions {
  const tls = c.mqtt.tls;
  const useTls = Boolean(tls.ca || tls.cert || tls.key || !tls.reject_unauthorized);
  return {
    url: choice.url ?? (c.mqtt.url || 'mqtt://localhost:1883'),
    protocolVersion: choice.protocolVersion ?? (c.mqtt.protocol_version === 4 ? 4 : 5),
    ...(c.mqtt.username ? { username: c.mqtt.username } : {}),
    ...(c.mqtt.password ? { password: c.mqtt.password } : {}),
    ...(useTls
      ? {
          tls: {
            ...(tls.ca ? { ca: tls.ca } : {}),
            ...(tls.cert ? { cert: tls.cert } : {}),
            ...(tls.key ? { key: tls.key } : {}),
            ...(tls.key_passphrase ? { passphrase: tls.key_passphrase } : {}),
            rejectUnauthorized: tls.reject_unauthorized,
          },
        }
      : {}),
    deviceId: c.device.id,
    clientId: c.mqtt.client_id,
    baseTopic: c.mqtt.base_topic,
    keepaliveS: c.mqtt.keepalive_s,
    sessionExpiryS: c.mqtt.session_expiry_s,
    backoff: { initialMs: c.mqtt.reconnect.initial_ms, maxMs: c.mqtt.reconnect.max_ms },
    queueMaxMessages: c.mqtt.queue.max_messages,
    queueMaxAgeMs: c.mqtt.queue.max_age_s * 1000,
    cameras: c.cameras.filter((cam) => cam.enabled !== false).map((cam) => cam.name),
    discovery: { enabled: c.homeassistant.discovery, prefix: c.homeassistant.prefix, deviceName: c.device.name, statusTopic: c.homeassistant.status_topic },
    ledgerFile: path.join(c.state_dir, 'mqtt-retained.json'),
    version: choice.version,
    stopTimeoutMs: 2000,
  };
}
