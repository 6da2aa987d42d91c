import { loadConfig } from '../../../src/config';
import { linkOptions } from '../../../src/mqtt/link-config';

describe('linkOptions', () => {
  it('takes the HA status topic and keeps the retained-topic ledger in state_dir', () => {
    const c = loadConfig({ env: {}, overrides: ['device.id=pi4', 'state_dir=/var/lib/lookout', 'homeassistant.status_topic=ha/status'] }).config;
    const o = linkOptions(c, { version: '0.1.0' });
    expect(o.discovery).toEqual({ enabled: true, prefix: 'homeassistant', deviceName: 'Lookout pi4', statusTopic: 'ha/status' });
    expect(o.ledgerFile).toBe('/var/lib/lookout/mqtt-retained.json');
    expect(o.baseTopic).toBe('lookout/pi4');
    expect(o.tls).toBeUndefined();
    expect(linkOptions(c, { url: 'mqtt://127.0.0.1:1999', protocolVersion: 4, version: 'x' })).toMatchObject({
      url: 'mqtt://127.0.0.1:1999',
      protocolVersion: 4,
    });
  });
});
