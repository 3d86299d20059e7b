// Starts `readiness serve` on port 0 with a fresh database and hands its
// address to the tests through READINESS_URL; stops it when they end.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
  return async () => {
    server.kill('SIGTERM');
  };
}
