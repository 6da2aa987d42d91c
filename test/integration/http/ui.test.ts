// Issue 18 from the outside: the real daemon on vtest.avi serves its page, and headless Chromium
// (Debian's package, driven by puppeteer-core) uses it as a person would: the live picture updates,
// people get boxes, a zone drawn with the mouse and saved lands in the config file and in the next
// `detections` messages, a bad polygon is refused with the problem shown and nothing written, and a
// server bound beyond localhost answers 401 without the secret (and refuses to start without one).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import YAML from 'yaml';
import { listBackups } from '../../../src/config';
import { Mosquitto, freePort } from '../../support/mosquitto';
import { Daemon, daemonTest, fileCamera, type Msg } from '../../support/daemon-harness';
import { launchBrowser, openPage, screenshot, SCREENSHOTS } from './browser';

interface Detections {
  frame: number;
  detections: { label: string; score: number; zones: string[] }[];
}

const TEST_MS = 240_000;

// The page's own code runs in the browser; the test names it as JavaScript text (this project compiles
// without the DOM's types).
const text = (selector: string) => `(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`;
const SHOWN = `Number(/(\\d+) shown/.exec(${text('#frame-info')})?.[1] ?? 0)`;
const ROWS = `[...document.querySelectorAll('#detections tbody tr')]`;
const PROBLEMS = `[...document.querySelectorAll('#problems li')].map((li) => li.textContent).join('\\n')`;

/** Runs `js` (an expression) in the page. */
const inPage = async <T>(page: Page, js: string): Promise<T> => (await page.evaluate(js)) as T;

/** Polls the page until `js` is truthy and returns its value; fails with what the page said. */
async function pageWait<T>(page: Page, what: string, js: string, problems: string[], timeoutMs = 90_000): Promise<T> {
  try {
    const handle = await page.waitForFunction(js, { timeout: timeoutMs, polling: 250 });
    return (await handle.jsonValue()) as T;
  } catch (e) {
    const body = await inPage<string>(
      page,
      `document.body.innerText.slice(0, 1200) + '\\n…\\nsave: ' + ${text('#save-result')} + ' ' + ${text('#problems')}`,
    ).catch(() => '(no body)');
    throw new Error(
      `the page did not show ${what}: ${(e as Error).message}\n--- page problems ---\n${problems.join('\n') || '(none)'}\n--- page text ---\n${body}`,
    );
  }
}

/** Clicks the live picture at normalized frame coordinates. */
async function clickPicture(page: Page, points: [number, number][]): Promise<void> {
  // Save is further down: the picture may have scrolled out of the window since.
  const box = await inPage<{ x: number; y: number; w: number; h: number }>(
    page,
    `(() => { const el = document.getElementById('stage'); el.scrollIntoView({ block: 'start' }); const r = el.getBoundingClientRect(); return { x: r.left, y: r.top, w: r.width, h: r.height }; })()`,
  );
  for (const [x, y] of points) {
    await page.mouse.click(box.x + x * box.w, box.y + y * box.h);
  }
}

describe('the page (lookout run, http.ui)', () => {
  let broker: Mosquitto;
  let browser: Browser;
  beforeAll(async () => {
    broker = await Mosquitto.start();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.stop();
  });

  daemonTest(
    'live picture with boxes; a zone drawn with the mouse is saved, reloaded and published; a bad polygon is refused',
    async () => {
      const port = await freePort();
      const d = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 4 })],
        config: { http: { enabled: true, host: '127.0.0.1', port, ui: { fps: 4 } }, objects: { min_score: 0.4 } },
      });
      const detectionsTopic = d.topic('front/detections');
      await d.waitFor('the first detections', () => d.rec.count(detectionsTopic) > 0, 120_000);
      const { page, problems } = await openPage(browser, `http://127.0.0.1:${port}/`);

      // The live picture updates: several different frames are shown, people have boxes and track ids.
      await pageWait(page, 'three live pictures', `${SHOWN} >= 3`, problems);
      const firstInfo = await inPage<string>(page, text('#frame-info'));
      await pageWait(page, 'a person in the detections list', `!!document.querySelector('#detections tbody tr[data-label="person"]')`, problems);
      const people = await inPage<string[]>(page, `[...document.querySelectorAll('#detections tbody tr[data-label="person"]')].map((r) => r.textContent)`);
      expect(people.some((row) => /#\d+/.test(row))).toBe(true);
      const before = await inPage<number>(page, SHOWN);
      await pageWait(page, 'more live pictures', `${SHOWN} >= ${before + 3}`, problems);
      expect(await inPage<string>(page, text('#frame-info'))).not.toBe(firstInfo);
      await pageWait(page, 'the camera streaming', `${text('#camera-state')} === 'streaming'`, problems);
      await screenshot(page, 'live.png');

      // Draw a zone over the lower part of the frame (where people walk), name it, save.
      await page.click('#add-zone');
      const drawn: [number, number][] = [
        [0.02, 0.35],
        [0.98, 0.35],
        [0.98, 0.98],
        [0.02, 0.98],
      ];
      await clickPicture(page, drawn);
      await page.click('#finish');
      const nameInput = await page.waitForSelector('#shape-list li input');
      await nameInput!.click({ count: 3 });
      await page.keyboard.press('Backspace');
      await nameInput!.type('lawn');
      await screenshot(page, 'zone-drawn.png');
      const fileBefore = fs.readFileSync(d.configPath, 'utf8');
      const lastBeforeSave: Msg | undefined = d.rec.last(detectionsTopic);
      await page.click('#save');
      await pageWait(page, 'the save confirmed', `document.getElementById('save-result').className === 'ok'`, problems);

      // The file holds the zone as drawn, the rest of it as it was; the previous file is the backup.
      const saved = YAML.parse(fs.readFileSync(d.configPath, 'utf8')) as { cameras: { name: string; zones?: { name: string; polygon: number[][] }[] }[] };
      const zones = saved.cameras[0].zones ?? [];
      expect(zones.map((z) => z.name)).toEqual(['lawn']);
      zones[0].polygon.forEach(([x, y], i) => {
        expect(Math.abs(x - drawn[i][0])).toBeLessThan(0.01);
        expect(Math.abs(y - drawn[i][1])).toBeLessThan(0.01);
      });
      const backups = listBackups(d.configPath);
      expect(backups).toHaveLength(1);
      expect(fs.readFileSync(backups[0], 'utf8')).toBe(fileBefore);

      // The reloaded camera names the zone in its next detections messages.
      const later = (): Detections[] =>
        d.rec
          .on(detectionsTopic)
          .filter((m) => !lastBeforeSave || m.index > lastBeforeSave.index)
          .map((m) => JSON.parse(m.text) as Detections);
      await d.waitFor('a detections message naming the zone lawn', () => later().some((p) => p.detections.some((x) => x.zones.includes('lawn'))), 90_000);
      await pageWait(page, 'a detection in zone lawn on the page', `${ROWS}.some((r) => r.textContent.includes('lawn'))`, problems);
      await inPage(page, 'window.scrollTo(0, 0)');
      await screenshot(page, 'zone-saved.png');

      // A zone of two points: refused with the loader's problem shown; the file and the running config stay.
      const fileGood = fs.readFileSync(d.configPath, 'utf8');
      const reloadsBefore = d.logsMatching(/config reloaded/).length;
      await page.click('#add-zone');
      await clickPicture(page, [
        [0.1, 0.1],
        [0.3, 0.1],
      ]);
      await page.click('#finish');
      await page.click('#save');
      const shown = await pageWait<string>(page, 'the refusal with its problem', PROBLEMS, problems);
      expect(shown).toMatch(/cameras\[0\]\.zones\[1\]\.polygon: must NOT have fewer than 3 items/);
      expect(await inPage<string>(page, text('#save-result'))).toMatch(/Not saved \(HTTP 422\)/);
      await screenshot(page, 'refused.png');
      expect(fs.readFileSync(d.configPath, 'utf8')).toBe(fileGood);
      expect(d.logsMatching(/config reloaded/).length).toBe(reloadsBefore);
      expect(problems.filter((p) => !/HTTP 422|status of 422/.test(p))).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );

  daemonTest(
    'bound beyond localhost: 401 without the secret, the page with it; no secret, no start',
    async () => {
      const dir = fs.mkdtempSync(path.join(SCREENSHOTS, '..', 'ui-secret-'));
      const secretFile = path.join(dir, 'http_secret');
      const secret = 'correct-horse-battery';
      fs.writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
      const port = await freePort();
      const d = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [fileCamera('front', { realtime: true, loop: true, max_fps: 2 })],
        config: { http: { enabled: true, host: '0.0.0.0', port, auth: { secret_file: secretFile } } },
      });
      await d.waitFor('the HTTP server', () => d.logsMatching(/HTTP server listening/).length > 0, 120_000);
      const url = `http://127.0.0.1:${port}`;

      for (const p of ['/', '/api/cameras', '/metrics']) {
        const res = await fetch(`${url}${p}`);
        expect({ p, status: res.status }).toEqual({ p, status: 401 });
        expect(res.headers.get('www-authenticate')).toMatch(/^Basic/);
      }
      const wrong = await fetch(`${url}/api/cameras`, { headers: { authorization: `Basic ${Buffer.from('lookout:nope').toString('base64')}` } });
      expect(wrong.status).toBe(401);
      // A change with the secret but from another site is still refused.
      const auth = { authorization: `Basic ${Buffer.from(`lookout:${secret}`).toString('base64')}` };
      const crossSite = await fetch(`${url}/api/cameras/front/tuning`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json', origin: 'http://example.com' },
        body: '{}',
      });
      expect(crossSite.status).toBe(403);
      expect(((await (await fetch(`${url}/api/cameras`, { headers: auth })).json()) as { cameras: { name: string }[] }).cameras.map((c) => c.name)).toEqual([
        'front',
      ]);

      // The browser asks once; with the secret the page runs.
      const page = await browser.newPage();
      await page.authenticate({ username: 'lookout', password: secret });
      await page.goto(`${url}/`, { waitUntil: 'load', timeout: 60_000 });
      await pageWait(page, 'a live picture behind the secret', `${SHOWN} >= 1`, []);
      await page.close();
      await d.stop();

      // The same bind without a secret: the daemon refuses to start and names the key.
      const bare = await Daemon.start({
        mqttUrl: broker.url,
        cameras: [fileCamera('front')],
        config: { http: { enabled: true, host: '0.0.0.0', port } },
        recordUrl: null,
      });
      const exit = await bare.waitExit(60_000);
      expect(exit.code).toBe(78);
      expect(bare.rawLines.join('\n')).toMatch(/http\.auth\.secret_file: required when http\.host \(0\.0\.0\.0\) is not a loopback address/);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    TEST_MS,
  );
});
