// The audit as a lead reads it: findings with the offending lines, and a
// rule exempted with a reason.
import { test, expect } from '@playwright/test';
import { base, fixture as anyFixture, project, shot } from './helpers';

const fixture = (path: string) => anyFixture(`audit/${path}`);

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
  await page.screenshot({ path: shot('audit'), fullPage: true });
});
