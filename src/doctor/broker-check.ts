/**
 * The broker as the daemon would reach it (URL, protocol, user, password, TLS), plus what Home
 * Assistant shows on it: its status topic and the discovery prefix.
 */
import fs from 'node:fs';
import type { LookoutConfig } from '../config';
import { probeBroker, type BrokerProbeOptions } from '../mqtt/probe';
import { discoveryId } from '../mqtt/discovery';
import { redactUrl } from '../mqtt/link';
import { linkOptions } from '../mqtt/link-config';
import { version } from '../version';
import { fail, ok, warn, type Check, type CheckResult } from './report';

/** The credential file install.sh creates and the unit loads; readable by root when doctor runs outside the service. */
export const SERVICE_PASSWORD_FILE = '/etc/lookout/credentials/mqtt_password';

function passwordFor(config: LookoutConfig, serviceFile: string): { password?: string; from?: string } {
  if (config.mqtt.password) return { password: config.mqtt.password };
  // Outside the service there is no $CREDENTIALS_DIRECTORY: use the file the unit would load.
  if (config.mqtt.username && !process.env.CREDENTIALS_DIRECTORY) {
    try {
      const text = fs.readFileSync(serviceFile, 'utf8').replace(/\r?\n$/, '');
      if (text) return { password: text, from: serviceFile };
    } catch {
      // not installed as a service, or not readable by this user: try without
    }
  }
  return {};
}

export function brokerChecks(config: LookoutConfig, options: { listenMs?: number; serviceFile?: string } = {}): Check[] {
  const m = config.mqtt;
  // The connection settings exactly as the daemon's link gets them; only the password may come from
  // the service's credential file here.
  const link = linkOptions(config, { version: version() });
  const url = link.url;
  const { password, from } = passwordFor(config, options.serviceFile ?? SERVICE_PASSWORD_FILE);
  const probe: BrokerProbeOptions = {
    url,
    ...(link.protocolVersion ? { protocolVersion: link.protocolVersion } : {}),
    ...(link.username ? { username: link.username } : {}),
    ...(password ? { password } : {}),
    ...(link.tls ? { tls: link.tls } : {}),
    watch: config.homeassistant.discovery ? [config.homeassistant.status_topic, `${config.homeassistant.prefix}/#`] : [],
    listenMs: options.listenMs ?? 2000,
  };
  return [
    {
      subject: 'broker',
      async run() {
        const results: CheckResult[] = [];
        const shown = redactUrl(url);
        const r = await probeBroker(probe);
        if (!r.connected) {
          if (r.authRefused) {
            const where = m.username ? `user '${m.username}'` : 'no user (anonymous)';
            results.push(
              fail(
                'broker',
                `${r.error}; tried ${where}${from ? ` with the password from ${from}` : password ? ' with a password' : ' without a password'}`,
                'set mqtt.username and the password in /etc/lookout/credentials/mqtt_password (or mqtt.password_file), then systemctl restart lookout',
              ),
            );
          } else if (!m.url) {
            // The daemon still runs (on its embedded broker), but nothing off this machine sees it.
            results.push(
              warn(
                'broker',
                `mqtt.url is empty and ${r.error}: the daemon will start its embedded broker on 127.0.0.1:1883`,
                'to feed Home Assistant set mqtt.url to its broker, e.g. mqtt://homeassistant.local:1883',
              ),
            );
          } else {
            results.push(
              fail(
                'broker',
                r.error ?? `cannot connect to ${shown}`,
                /CERT|SSL|TLS|SELF_SIGNED/i.test(r.error ?? '')
                  ? 'check mqtt.tls.ca (the CA that signed the broker certificate) and the host name in mqtt.url'
                  : 'check mqtt.url (host and port) and that the broker runs and is reachable from here',
              ),
            );
          }
          return results;
        }
        results.push(ok('broker', `connected to ${shown}${m.username ? ` as '${m.username}'` : ''}`));
        if (!config.homeassistant.discovery) {
          results.push(ok('home assistant', 'discovery is off (homeassistant.discovery: false)'));
          return results;
        }
        const statusSeen = r.seen[config.homeassistant.status_topic] ?? [];
        const underPrefix = (r.seen[`${config.homeassistant.prefix}/#`] ?? []).filter((s) => s.topic.endsWith('/config'));
        const node = discoveryId(config.device.id);
        const ours = underPrefix.filter((s) => s.topic.split('/').includes(node)).length;
        const last = statusSeen.at(-1);
        if (last) results.push(ok('home assistant', `status topic ${config.homeassistant.status_topic} says '${last.payload}'`));
        else if (underPrefix.length > 0) {
          results.push(
            ok(
              'home assistant',
              `${underPrefix.length} retained discovery configs under '${config.homeassistant.prefix}/' (${ours} from this device); HA's status topic was quiet (HA sends it when it starts, retained only if configured)`,
            ),
          );
        } else {
          results.push(
            warn(
              'home assistant',
              `nothing on ${config.homeassistant.status_topic} and no retained discovery configs under '${config.homeassistant.prefix}/'`,
              "point mqtt.url at the broker Home Assistant uses (Settings → Devices → MQTT), and check that homeassistant.prefix matches HA's discovery prefix (default homeassistant)",
            ),
          );
        }
        return results;
      },
    },
  ];
}
