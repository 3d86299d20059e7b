// The walking skeleton, as a user does it: create a project and a token in
// the browser, upload k6 summaries as CI would, find the runs, and sort them
// with the control that only works once the WASM has hydrated the page.
import { test, expect, Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const base = () => process.env.READINESS_URL!;
const fixture = (name: string) =>
  readFileSync(join(__dirname, '..', '..', 'core', 'tests', 'fixtures', 'k6', name));

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

test('create a project and token, upload runs, sort them in the browser', async ({ page, request }) => {
  const slug = `e2e-${Date.now()}`;

  await page.goto(`${base()}/`);
  await hydrated(page);
  await page.getByRole('textbox', { name: /slug/i }).fill(slug);
  await page.getByRole('textbox', { name: /name/i }).fill('End to end API');
  await page.getByRole('button', { name: 'Create project' }).click();
  await expect(page.getByRole('status')).toContainText('Created End to end API');
  await expect(page.getByRole('link', { name: 'End to end API' }).first()).toBeVisible();

  await page.getByRole('link', { name: 'End to end API' }).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('End to end API');
  await page.getByRole('link', { name: 'Access' }).click();
  await hydrated(page);
  await page.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.locator('[data-test=token]').innerText()).trim();
  expect(token).toMatch(/^rdy_[0-9a-f]{64}$/);

  // CI uploads two summaries: p95 30 ms with p99, and p95 44.6 ms without.
  const uploads = [
    ['k6-reporter-handlesummary-simple.json', 'sustained', 'aaa111'],
    ['k6-html-reporter-handlesummary-groups.json', 'spike', 'bbb222'],
  ];
  const ids: number[] = [];
  for (const [file, scenario, commit] of uploads) {
    const res = await request.post(
      `${base()}/api/v1/projects/${slug}/runs?scenario=${scenario}&commit=${commit}&branch=main&environment=staging`,
      { headers: { Authorization: `Bearer ${token}` }, data: fixture(file) },
    );
    expect(res.status()).toBe(201);
    const body = await res.json();
    expect(body.run.exactness).toBe('reported');
    ids.push(body.id);
  }

  await page.goto(`${base()}/projects/${slug}`);
  const rows = page.locator('[data-test=runs] tbody tr');
  await expect(rows).toHaveCount(2);
  // Newest first, as the server rendered it.
  await expect(rows.nth(0)).toHaveAttribute('data-run-id', String(ids[1]));
  // The summary without p99 shows it as unverified, in words.
  await expect(rows.nth(0).locator('td').nth(4)).toContainText('not measured');
  await expect(rows.nth(0).locator('td').nth(4)).toContainText('unverified');

  await hydrated(page);
  const p95 = page.getByRole('columnheader', { name: 'p95' });
  await p95.getByRole('button').click();
  await expect(p95).toHaveAttribute('aria-sort', 'descending');
  await expect(rows.nth(0)).toHaveAttribute('data-run-id', String(ids[1]));
  await p95.getByRole('button').click();
  await expect(p95).toHaveAttribute('aria-sort', 'ascending');
  await expect(rows.nth(0)).toHaveAttribute('data-run-id', String(ids[0]));

  await rows.nth(0).getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Run ${ids[0]}`);
  await expect(page.locator('[data-test=thresholds]')).toContainText('p(95)<1000');
  await expect(page.locator('[data-test=figures]')).toContainText('30 ms');
  await page.screenshot({ path: join(__dirname, '..', 'output', 'run-page.png'), fullPage: true });
});
