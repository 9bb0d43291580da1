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
  const dataDir = mkdtempSync(join(tmpdir(), 'ambula-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['serve', ...args], {
    env: {
      ...process.env,
      AMBULA_BIND: `127.0.0.1:${port}`,
      AMBULA_PUBLIC_URL: url,
      DATABASE_URL: `sqlite://${dataDir}/ambula.db`,
      // The master key and anything else the server keeps on disk stay in
      // this run's temporary directory, never in the checkout.
      AMBULA_DATA_DIR: dataDir,
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
      rmSync(dataDir, { recursive: true, force: true });
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
