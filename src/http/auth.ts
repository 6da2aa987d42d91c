/**
 * Who may use the HTTP server. Bound to a loopback address it answers anyone on this machine, as the
 * metrics server always did. Bound anywhere else it answers only requests that carry the secret
 * (HTTP Basic with any user name, so a browser asks for it once; or `Authorization: Bearer`). The
 * secret comes from a file or a systemd credential, never from the YAML, and without one the server
 * does not start. Requests that change something also have to come from the page itself (same origin).
 */
import { timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { errorMessage } from '../util/errors';

/** The systemd credential (LoadCredential=http_secret:...) read when http.auth.secret_file is empty. */
export const HTTP_SECRET_CREDENTIAL = 'http_secret';

export interface HttpAuthSettings {
  host: string;
  auth: { secret_file: string };
}

/** Whether `host` (an http.host value) only listens on this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  return h === '::1';
}

/** Where the secret is read from, or null when none is configured. */
export function secretSource(c: HttpAuthSettings, env: NodeJS.ProcessEnv): { file: string; key: string } | null {
  if (c.auth.secret_file) return { file: c.auth.secret_file, key: 'http.auth.secret_file' };
  const credentials = env.CREDENTIALS_DIRECTORY;
  if (credentials && fs.existsSync(path.join(credentials, HTTP_SECRET_CREDENTIAL))) {
    return { file: path.join(credentials, HTTP_SECRET_CREDENTIAL), key: `http.auth.secret_file (credential ${HTTP_SECRET_CREDENTIAL})` };
  }
  return null;
}

/**
 * Reads the secret; throws naming the key when it cannot be read or is empty. null when none is
 * configured (fine on a loopback bind, refused elsewhere by httpAuthProblems).
 */
export function readHttpSecret(c: HttpAuthSettings, env: NodeJS.ProcessEnv): string | null {
  const source = secretSource(c, env);
  if (!source) return null;
  let text: string;
  try {
    text = fs.readFileSync(source.file, 'utf8');
  } catch (e) {
    throw new Error(`${source.key}: cannot read secret file '${source.file}': ${(e as NodeJS.ErrnoException).code ?? errorMessage(e)}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  // An empty file means "no secret", as with the MQTT password credential (install.sh-style placeholders).
  if (secret === '') return null;
  if (secret.length < 8) throw new Error(`${source.key}: the secret in '${source.file}' must be at least 8 characters`);
  return secret;
}

/** Config problems of the HTTP server's access settings (the loader reports them with the rest). */
export function httpAuthProblems(c: HttpAuthSettings & { enabled: boolean }, env: NodeJS.ProcessEnv): string[] {
  if (!c.enabled) return [];
  try {
    const secret = readHttpSecret(c, env);
    if (secret === null && !isLoopbackHost(c.host)) {
      return [
        `http.auth.secret_file: required when http.host (${c.host}) is not a loopback address: name a file holding a secret, or give systemd the credential ${HTTP_SECRET_CREDENTIAL}`,
      ];
    }
    return [];
  } catch (e) {
    return [errorMessage(e)];
  }
}

function sameSecret(given: string, secret: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether the request carries the secret (Basic: the password, any user; or Bearer). */
export function carriesSecret(req: Pick<http.IncomingMessage, 'headers'>, secret: string): boolean {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header);
  if (bearer) return sameSecret(bearer[1].trim(), secret);
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
  if (!basic) return false;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && sameSecret(decoded.slice(colon + 1), secret);
}

/**
 * A state-changing request must come from a page of this server: its Origin names the Host it was
 * sent to (a browser sets Origin on every cross-site POST and a page cannot forge it). Without an
 * Origin, Sec-Fetch-Site must say same-origin; a request with neither (curl) is refused too.
 */
export function sameOriginProblem(req: Pick<http.IncomingMessage, 'headers'>): string | null {
  const host = req.headers.host;
  if (!host) return 'the request has no Host header';
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin '${origin}' is not a URL`;
    }
    return originHost.toLowerCase() === host.toLowerCase() ? null : `Origin '${origin}' is not this server (${host})`;
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin') return null;
  return 'a change must come from the page itself (no Origin header)';
}

/**
 * On a loopback bind, the Host header must name this machine too: a web page elsewhere whose name
 * resolves to 127.0.0.1 (DNS rebinding) must not reach the API through the user's browser.
 */
export function loopbackHostProblem(req: Pick<http.IncomingMessage, 'headers'>): string | null {
  const host = req.headers.host;
  if (!host) return null; // HTTP/1.0 tools; a browser always sends Host
  const name = host.replace(/:\d+$/, '');
  return isLoopbackHost(name) ? null : `Host '${host}' is not a loopback name; this server is bound to localhost`;
}
