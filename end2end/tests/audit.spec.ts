// The audit as a lead reads it: findings with the offending lines, and a
// rule exempted with a reason.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const base = () => process.env.READINESS_URL!;
const fixture = (path: string) =>
  readFileSync(join(__dirname, '..', '..', 'core', 'tests', 'fixtures', 'audit', path));

function project(slug: string): string {
  const bin = process.env.READINESS_BIN!;
  const db = process.env.READINESS_E2E_DB!;
  execFileSync(bin, ['project', 'create', slug, '--name', `${slug} API`, '--db', db]);
  return execFileSync(bin, ['token', 'create', '--project', slug, '--db', db]).toString().trim();
}

test('findings show the offending lines and a rule can be exempted', async ({ page, request }) => {
  const slug = `audit-${Date.now()}`;
  const token = project(slug);
  for (const [file, name] of [
    ['redis/redis.conf', 'redis.conf'],
    ['nginx/nginx.conf', 'nginx.conf'],
  ]) {
    const res = await request.post(`${base()}/api/v1/projects/${slug}/evidence?filename=${name}`, {
      headers: { Authorization: `Bearer ${token}` },
      data: fixture(file),
    });
    expect(res.status()).toBe(201);
  }

  await page.goto(`${base()}/projects/${slug}/audit`);
  await expect(page.getByRole('heading', { name: 'Infrastructure' })).toBeVisible();
  const workers = page.locator('li.finding[data-rule="nginx.worker_connections"]');
  await expect(workers).toContainText('warn');
  await expect(workers.locator('pre.excerpt .line.hit')).toContainText('worker_connections');
  const maxmemory = page.locator('li.finding[data-rule="redis.maxmemory"]');
  await expect(maxmemory).toContainText('fail');
  await expect(maxmemory).toContainText('critical');

  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await maxmemory.getByText('Exempt this rule…').click();
  await maxmemory.getByRole('textbox', { name: 'Reason' }).fill('the orchestrator caps the container memory');
  await maxmemory.getByLabel('Until').fill('2099-12-31');
  await maxmemory.getByRole('button', { name: 'Exempt' }).click();
  await expect(maxmemory.getByRole('status')).toContainText('Exempted redis.maxmemory');

  await page.reload();
  await expect(page.locator('li.finding[data-rule="redis.maxmemory"] .exempted')).toContainText(
    'the orchestrator caps the container memory (until 2099-12-31)',
  );
  await page.screenshot({ path: join(__dirname, '..', 'output', 'audit.png'), fullPage: true });
});
