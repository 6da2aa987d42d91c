import { SystemdNotifier } from '../../../src/system/sd-notify';

describe('SystemdNotifier environment handling', () => {
  test('no NOTIFY_SOCKET: disabled, every call a no-op', () => {
    const n = new SystemdNotifier(undefined, { env: {} });
    expect(n.enabled).toBe(false);
    expect(n.transport).toBe('none');
    expect(() => {
      n.ready('x');
      n.watchdog();
      n.status('y');
      n.reloading();
      n.stopping();
      n.extendTimeout(1000);
    }).not.toThrow();
  });

  test('a NOTIFY_SOCKET that is neither a path nor @abstract is ignored with a warning', () => {
    const warnings: string[] = [];
    const logger = { warn: (_f: object, m: string) => warnings.push(m), info: () => {}, debug: () => {} };
    const n = new SystemdNotifier(logger as never, { env: { NOTIFY_SOCKET: 'relative/sock' } });
    expect(n.enabled).toBe(false);
    expect(warnings[0]).toMatch(/neither a path nor an abstract name/);
  });

  test('watchdog interval is half of WATCHDOG_USEC, only for our pid', () => {
    const env = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' };
    expect(new SystemdNotifier(undefined, { env, pid: 42 }).watchdogTimeoutMs).toBe(30_000);
    expect(new SystemdNotifier(undefined, { env, pid: 42 }).watchdogIntervalMs).toBe(15_000);
    expect(new SystemdNotifier(undefined, { env: { ...env, WATCHDOG_PID: '42' }, pid: 42 }).watchdogIntervalMs).toBe(15_000);
    expect(new SystemdNotifier(undefined, { env: { ...env, WATCHDOG_PID: '41' }, pid: 42 }).watchdogIntervalMs).toBeUndefined();
    expect(new SystemdNotifier(undefined, { env: { ...env, WATCHDOG_USEC: '0' } }).watchdogIntervalMs).toBeUndefined();
    expect(new SystemdNotifier(undefined, { env: { ...env, WATCHDOG_USEC: 'soon' } }).watchdogIntervalMs).toBeUndefined();
    expect(new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '/x' } }).watchdogIntervalMs).toBeUndefined();
  });

  test('transport choice: unix-dgram for paths, systemd-notify for abstract names or when unix-dgram is missing', () => {
    const fake = { createSocket: () => ({ on: () => {}, send: () => {}, close: () => {} }) };
    expect(new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '/run/systemd/notify' }, loadUnixDgram: () => fake }).transport).toBe('unix-dgram');
    expect(new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '@/org/x/notify' }, loadUnixDgram: () => fake }).transport).toBe('systemd-notify');
    expect(new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '/run/systemd/notify' }, loadUnixDgram: () => undefined }).transport).toBe('systemd-notify');
    expect(
      new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '/run/systemd/notify' }, transport: 'systemd-notify', loadUnixDgram: () => fake }).transport,
    ).toBe('systemd-notify');
  });

  test('messages: multi-line status collapsed, READY carries STATUS, RELOADING carries MONOTONIC_USEC', () => {
    const sent: string[] = [];
    const dgram = {
      createSocket: () => ({
        on: () => {},
        send: (buf: Buffer, _o: number, _l: number, _p: string, cb?: (e?: Error) => void) => {
          sent.push(buf.toString());
          cb?.();
        },
        close: () => {},
      }),
    };
    const n = new SystemdNotifier(undefined, { env: { NOTIFY_SOCKET: '/s' }, loadUnixDgram: () => dgram });
    n.ready('2 cameras\nready');
    n.status('line1\r\nline2');
    n.reloading();
    n.extendTimeout(2500);
    expect(sent[0]).toBe('READY=1\nSTATUS=2 cameras ready');
    expect(sent[1]).toBe('STATUS=line1 line2');
    expect(sent[2]).toMatch(/^RELOADING=1\nMONOTONIC_USEC=\d+$/);
    expect(sent[3]).toBe('EXTEND_TIMEOUT_USEC=2500000');
  });

  test('send errors are logged once per kind and never thrown', () => {
    const warnings: string[] = [];
    const logger = { warn: (_f: object, m: string) => warnings.push(m), info: () => {}, debug: () => {} };
    const dgram = {
      createSocket: () => ({
        on: () => {},
        send: (_b: Buffer, _o: number, _l: number, _p: string, cb?: (e?: Error) => void) => cb?.(Object.assign(new Error('send -111'), { code: -111 })),
        close: () => {},
      }),
    };
    const n = new SystemdNotifier(logger as never, { env: { NOTIFY_SOCKET: '/s' }, loadUnixDgram: () => dgram });
    for (let i = 0; i < 5; i++) n.watchdog();
    expect(warnings).toHaveLength(1);
    const throwing = new SystemdNotifier(logger as never, {
      env: { NOTIFY_SOCKET: '/s' },
      loadUnixDgram: () => ({
        createSocket: () => {
          throw new Error('socket -24');
        },
      }),
    });
    expect(() => throwing.ready()).not.toThrow();
  });
});
