import type { LookoutConfig } from './schema';

export const REDACTED = '[redacted]';

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = REDACTED;
      return parsed.toString();
    }
  } catch {
    // not a URL: nothing to redact
  }
  return url;
}

/** A copy of the config safe to print or publish: secrets replaced, paths to secret files kept. */
export function redactConfig(config: LookoutConfig): LookoutConfig {
  const copy = structuredClone(config);
  if (copy.mqtt.password) copy.mqtt.password = REDACTED;
  if (copy.mqtt.tls.key_passphrase) copy.mqtt.tls.key_passphrase = REDACTED;
  copy.mqtt.url = redactUrl(copy.mqtt.url);
  for (const camera of copy.cameras) {
    if (camera.source.url) camera.source.url = redactUrl(camera.source.url);
  }
  return copy;
}
