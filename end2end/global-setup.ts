// Starts `readiness serve` on port 0 with a fresh database and hands its
// address to the tests through READINESS_URL; stops it when they end.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ADMIN_PASSWORD = 'an end-to-end admin password';
export const STATE = resolve(__dirname, 'output', 'admin-state.json');

export default async function globalSetup() {
  const root = resolve(__dirname, '..');
  const bin = process.env.READINESS_BIN || join(root, 'target', 'debug', 'readiness');
  const site = process.env.READINESS_SITE || join(root, 'target', 'site');
  const dir = mkdtempSync(join(tmpdir(), 'readiness-e2e-'));
  const db = join(dir, 'readiness.db');
  process.env.READINESS_E2E_DB = db;
  process.env.READINESS_BIN = bin;

  const server = spawn(bin, ['serve', '--addr', '127.0.0.1:0', '--db', db, '--site', site], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`server did not start: ${seen}`)), 30_000);
    server.on('exit', (code) => fail(new Error(`server exited with ${code}: ${seen}`)));
    server.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        ok(match[1]);
      }
    });
  });
  // Poll until it answers, as a user would wait for the page.
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`${url}/api/v1/health`);
      if (res.ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  process.env.READINESS_URL = url;

  // The first admin, created from the shell as the README says, signed in
  // once; every test context starts with that session unless it asks for
  // none (storageState: undefined).
  execFileSync(bin, ['user', 'add', 'admin', '--admin', '--db', db], {
    input: `${ADMIN_PASSWORD}\n`,
  });
  const res = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'admin', password: ADMIN_PASSWORD }),
  });
  if (!res.ok) throw new Error(`admin sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') || '').split(';')[0];
  const [name, value] = cookie.split('=');
  const host = new URL(url).hostname;
  mkdirSync(dirname(STATE), { recursive: true });
  writeFileSync(
    STATE,
    JSON.stringify({
      cookies: [
        { name, value, domain: host, path: '/', expires: -1, httpOnly: true, secure: false, sameSite: 'Lax' },
      ],
      origins: [],
    }),
  );
  return async () => {
    server.kill('SIGTERM');
  };
}
