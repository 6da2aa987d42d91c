// What the MQTT link is configured with (the config layer builds it: link-config.ts), and the two
// helpers the doctor and the probe share with the connection: a URL fit for logs, a readable PEM file.
import fs from 'node:fs';
import { errorMessage } from '../util/errors';
import type { LinkBackoffOptions } from './backoff';

export interface MqttTlsOptions {
  /** CA certificate file (PEM) to verify the broker with, instead of the system CAs. */
  ca?: string;
  /** Client certificate file (PEM) for brokers that require one. */
  cert?: string;
  /** Client private key file (PEM). */
  key?: string;
  /** Passphrase of the client key (already resolved from its file or the environment). */
  passphrase?: string;
  /**
   * Verify the broker's certificate. Default true. false is logged as a WARN line at every connect:
   * verification is never switched off silently.
   */
  rejectUnauthorized?: boolean;
}

export interface MqttLinkOptions {
  /** Broker URL: mqtt://, mqtts://, ws:// or wss:// (e.g. mqtt://127.0.0.1:1883). */
  url: string;
  /**
   * 5 (default) or 4 (MQTT 3.1.1, e.g. for the embedded aedes broker). With 5, a broker that refuses
   * version 5 is retried with 3.1.1 (logged as WARN).
   */
  protocolVersion?: 4 | 5;
  username?: string;
  /** The password itself (the config layer resolves files and environment variables). */
  password?: string;
  tls?: MqttTlsOptions;
  /** Device id (hostname by default, chosen by the daemon): base topic, client id, HA device. */
  deviceId: string;
  /** Default `lookout-<device_id>`. Two processes with one client id throw each other off the broker. */
  clientId?: string;
  /** Default `lookout/<device_id>`. */
  baseTopic?: string;
  /** Keepalive in seconds. Default 30. */
  keepaliveS?: number;
  /**
   * MQTT 5 session expiry in seconds: the broker keeps the session (subscriptions, QoS 1 in flight)
   * this long after a disconnect. Default 3600. (3.1.1: clean=false keeps it without expiry.)
   */
  sessionExpiryS?: number;
  /** How long to wait for CONNACK, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect backoff. Default 1 s doubling to 60 s, 50% jitter. */
  backoff?: LinkBackoffOptions;
  /** Backoff while another client seems to use our client id. Default 30 s doubling to 10 min. */
  takeoverBackoff?: LinkBackoffOptions;
  /** QoS 1 queue bound in messages. Default 1000. */
  queueMaxMessages?: number;
  /** A queued non-retained message older than this is dropped, not delivered late. Default 10 min. */
  queueMaxAgeMs?: number;
  /** QoS 1 messages handed to mqtt.js at once (awaiting PUBACK). Default 20. */
  maxInflight?: number;
  /** Cameras that accept commands on base/<camera>/set. */
  cameras?: string[];
  /**
   * Home Assistant discovery. Default enabled with prefix `homeassistant`; `statusTopic` (default
   * `<prefix>/status`) is where Home Assistant says `online` when it starts.
   */
  discovery?: { enabled?: boolean; prefix?: string; deviceName?: string; model?: string; statusTopic?: string; configurationUrl?: string };
  /**
   * File (in state_dir) listing the retained topics this device has published, so that the next start
   * clears those no longer published (see RetainedLedger). Default: none kept.
   */
  ledgerFile?: string;
  /** Distinguishes this process's events from those of earlier runs in `event_id`. Default: the start time. */
  bootId?: string;
  /** Lookout version for HA device/origin info. */
  version?: string;
  /** At stop, how long to try to deliver queued messages and `offline`, ms. Default 3000. */
  stopTimeoutMs?: number;
  /** Validate every outgoing JSON payload against its schema and refuse invalid ones. Default false. */
  validateOutgoing?: boolean;
}

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/** A PEM file named in the TLS options, with an error that names which one could not be read. */
export function readPem(path: string, what: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (e) {
    throw new Error(`mqtt TLS ${what} file '${path}' cannot be read: ${errorMessage(e)}`);
  }
}
