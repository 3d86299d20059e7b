// What every browser test shares: the server's address, fixtures, the wait
// for hydration, and projects made with the CLI on the server's database.
import { expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The server global-setup started. */
export const base = () => process.env.READINESS_URL!;

/** A file under core/tests/fixtures. */
export const fixturePath = (path: string) => join(__dirname, '..', '..', 'core', 'tests', 'fixtures', path);
export const fixture = (path: string) => readFileSync(fixturePath(path));

/** Where screenshots for review go. */
export const shot = (name: string) => join(__dirname, '..', 'output', `${name}.png`);

/** Waits until the WASM has hydrated the page. */
export async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** A project and an upload token for it, made with the CLI. */
export function project(slug: string, name = `${slug} API`): string {
  const bin = process.env.READINESS_BIN!;
  const db = process.env.READINESS_E2E_DB!;
  execFileSync(bin, ['project', 'create', slug, '--name', name, '--db', db]);
  return execFileSync(bin, ['token', 'create', '--project', slug, '--db', db]).toString().trim();
}
