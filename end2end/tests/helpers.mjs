// Shared helpers for the browser tests: a real server on a free loopback
// port with its own SQLite database, and Debian's Chromium.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts the release server. `args` go after `serve` (e.g. `['--demo']` for
 * the seeded demo clinic); `env` adds or overrides environment variables.
 */
export async function startServer({ args = [], env = {} } = {}) {
  const bin = process.env.AMBULA_SERVER_BIN;
  assert.ok(bin, 'AMBULA_SERVER_BIN must point at the release server binary');
  const port = await freePort();
  // The data directory, the key directory beside it and the audit
  // checkpoints all stay inside this run's temporary directory, never in the
  // checkout.
  const root = mkdtempSync(join(tmpdir(), 'ambula-e2e-'));
  const dataDir = join(root, 'data');
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', ...args], {
    env: {
      ...process.env,
      AMBULA_BIND: `127.0.0.1:${port}`,
      AMBULA_PUBLIC_URL: url,
      DATABASE_URL: `sqlite://${dataDir}/ambula.db`,
      AMBULA_DATA_DIR: dataDir,
      AMBULA_KEY_DIR: join(root, 'keys'),
      // Every test clinic signs up from 127.0.0.1.
      AMBULA_SIGNUPS_PER_NETWORK_PER_HOUR: '1000',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`server did not become ready (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** Navigates and waits until the wasm has hydrated the page. */
export async function open(page, url) {
  await page.goto(url);
  await hydrated(page);
}

/** Waits until the current page's code is live (see `PageReady` in app/src/components.rs). */
export async function hydrated(page) {
  await page.waitForFunction(() => document.body?.dataset.hydrated === location.pathname, null, { timeout: 15_000 });
}

/** Fails on any serious or critical axe violation, naming each one. */
export async function expectAccessible(page, label) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(
    bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`),
    [],
    `accessibility violations on ${label}`,
  );
}

/** The error text shown at a form field. */
export function fieldError(page, name) {
  return page.locator(`#field-${name}-error`);
}

/** Decodes a message body by its Content-Transfer-Encoding. */
function decodeBody(raw) {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : '';
  const body = split >= 0 ? raw.slice(split + 4) : raw;
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(head)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

/**
 * A tiny SMTP server on loopback that keeps what it is sent (the same
 * subset as testkit's sink: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
 * Give `url` to the server as AMBULA_SMTP_URL.
 */
export async function startSmtpSink() {
  const messages = [];
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.setEncoding('utf8');
    let buffer = '';
    let mail = { from: '', to: [], raw: '' };
    let inData = false;
    socket.write('220 sink.local ESMTP test sink\r\n');
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            messages.push({ ...mail, text: decodeBody(mail.raw) });
            mail = { from: '', to: [], raw: '' };
            socket.write('250 OK queued\r\n');
          } else {
            mail.raw += (line.startsWith('..') ? line.slice(1) : line) + '\r\n';
          }
          continue;
        }
        const upper = line.toUpperCase();
        if (upper.startsWith('EHLO') || upper.startsWith('HELO')) socket.write('250-sink.local\r\n250 8BITMIME\r\n');
        else if (upper.startsWith('MAIL FROM:')) { mail.from = line.slice(10).trim(); socket.write('250 OK\r\n'); }
        else if (upper.startsWith('RCPT TO:')) { mail.to.push(line.slice(8).trim()); socket.write('250 OK\r\n'); }
        else if (upper === 'DATA') { inData = true; socket.write('354 End data with <CR><LF>.<CR><LF>\r\n'); }
        else if (upper === 'QUIT') { socket.end('221 Bye\r\n'); }
        else if (upper === 'RSET' || upper === 'NOOP') socket.write('250 OK\r\n');
        else socket.write('502 Command not implemented\r\n');
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** The first message to `email` that matches `pattern`, waiting up to 10 s. */
    async waitFor(email, pattern = /./) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = messages.find((m) => m.to.some((t) => t.includes(email)) && pattern.test(m.text));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no email to ${email} matching ${pattern}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The password of every demo account (`server serve --demo`). */
export const DEMO_PASSWORD = 'harbour-demo-2026';

/** Signs in through the sign-in page and waits for the live dashboard. */
export async function signIn(page, baseUrl, email, password = DEMO_PASSWORD) {
  await open(page, `${baseUrl}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${baseUrl}/app`);
  await hydrated(page);
}
