import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { carriesSecret, httpAuthProblems, isLoopbackHost, loopbackHostProblem, readHttpSecret, sameOriginProblem } from '../../../src/http/auth';

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

describe('who may use the HTTP server', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lookout-auth-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('loopback addresses and names are local; anything else is not', () => {
    for (const h of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', '[::1]']) expect({ h, local: isLoopbackHost(h) }).toEqual({ h, local: true });
    for (const h of ['0.0.0.0', '::', '192.168.1.20', 'lookout.lan', '']) expect({ h, local: isLoopbackHost(h) }).toEqual({ h, local: false });
  });

  test('a non-loopback bind without a secret is a config problem naming the key; with a file or a credential it is fine', () => {
    const http = { enabled: true, host: '0.0.0.0', auth: { secret_file: '' } };
    expect(httpAuthProblems(http, {})).toEqual([
      expect.stringMatching(/^http\.auth\.secret_file: required when http\.host \(0\.0\.0\.0\) is not a loopback address/),
    ]);
    expect(httpAuthProblems({ ...http, host: '127.0.0.1' }, {})).toEqual([]);
    expect(httpAuthProblems({ ...http, enabled: false }, {})).toEqual([]);

    fs.writeFileSync(path.join(dir, 'http_secret'), 'from-systemd-credential\n');
    expect(httpAuthProblems(http, { CREDENTIALS_DIRECTORY: dir })).toEqual([]);
    expect(readHttpSecret(http, { CREDENTIALS_DIRECTORY: dir })).toBe('from-systemd-credential');

    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, 'short\n');
    expect(httpAuthProblems({ ...http, auth: { secret_file: file } }, {})).toEqual([
      expect.stringMatching(/^http\.auth\.secret_file: .* at least 8 characters/),
    ]);
    fs.writeFileSync(file, '\n');
    expect(httpAuthProblems({ ...http, auth: { secret_file: file } }, {})).toEqual([expect.stringMatching(/^http\.auth\.secret_file: required when/)]);
    expect(httpAuthProblems({ ...http, auth: { secret_file: path.join(dir, 'missing') } }, {})).toEqual([
      expect.stringMatching(/^http\.auth\.secret_file: cannot read secret file .*missing': ENOENT/),
    ]);
  });

  test('the secret is accepted as a Basic password (any user) or a Bearer token, and nothing else', () => {
    const secret = 'correct-horse';
    expect(carriesSecret({ headers: basic('anyone', secret) }, secret)).toBe(true);
    expect(carriesSecret({ headers: { authorization: `Bearer ${secret}` } }, secret)).toBe(true);
    expect(carriesSecret({ headers: basic('anyone', 'correct-hors') }, secret)).toBe(false);
    expect(carriesSecret({ headers: { authorization: 'Bearer nope' } }, secret)).toBe(false);
    expect(carriesSecret({ headers: {} }, secret)).toBe(false);
  });

  test('a change must come from the page itself: same Origin as Host, or Sec-Fetch-Site same-origin', () => {
    expect(sameOriginProblem({ headers: { host: '127.0.0.1:9464', origin: 'http://127.0.0.1:9464' } })).toBeNull();
    expect(sameOriginProblem({ headers: { host: '127.0.0.1:9464', 'sec-fetch-site': 'same-origin' } })).toBeNull();
    expect(sameOriginProblem({ headers: { host: '127.0.0.1:9464', origin: 'http://evil.example' } })).toMatch(/evil\.example.* is not this server/);
    expect(sameOriginProblem({ headers: { host: '127.0.0.1:9464' } })).toMatch(/from the page itself/);
    expect(sameOriginProblem({ headers: { host: '127.0.0.1:9464', origin: 'null' } })).toMatch(/not a URL/);
  });

  test('on a loopback bind the Host must be a loopback name (a rebound DNS name is refused)', () => {
    expect(loopbackHostProblem({ headers: { host: 'localhost:9464' } })).toBeNull();
    expect(loopbackHostProblem({ headers: { host: '127.0.0.1:9464' } })).toBeNull();
    expect(loopbackHostProblem({ headers: { host: '[::1]:9464' } })).toBeNull();
    expect(loopbackHostProblem({ headers: { host: 'attacker.example:9464' } })).toMatch(/not a loopback name/);
  });
});
