// Targets, the assessment and run comparison, as a team lead uses them.
import { test, expect, APIRequestContext } from '@playwright/test';
import { base, fixture, hydrated, project, shot } from './helpers';

async function upload(request: APIRequestContext, slug: string, token: string, file: string, query: string) {
  const res = await request.post(`${base()}/api/v1/projects/${slug}/runs?${query}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: fixture(file),
  });
  expect(res.status()).toBe(201);
  return (await res.json()).id as number;
}

test('the project page shows the verdict, the category scores and every check', async ({ page, request }) => {
  const slug = `assess-${Date.now()}`;
  const token = project(slug);
  const run = await upload(request, slug, token, 'k6/k6-reporter-handlesummary-simple.json', 'scenario=sustained&commit=abc123');

  await page.goto(`${base()}/projects/${slug}`);
  const verdict = page.locator('[data-test=verdict]');
  // A 39.7 % error rate fails a critical target.
  await expect(verdict).toContainText('not certified');
  await expect(verdict).toContainText('commit abc123');
  await expect(page.locator('[data-test=categories] li')).toHaveCount(5);
  await expect(page.getByRole('meter', { name: 'Load testing score' })).toBeVisible();
  const errorRate = page.locator('[data-check="target:error_rate < 0.1 %:sustained"]');
  await expect(errorRate).toContainText('fail');
  await expect(errorRate).toContainText('39.7 %');
  await expect(errorRate.getByRole('link', { name: `run ${run}` })).toHaveAttribute('href', `/runs/${run}`);
  const db = page.locator('[data-check="target:db_query_p95 < 200 ms"]');
  await expect(db).toContainText('unverified');
  await expect(db).toContainText('not measured');
  await page.screenshot({ path: shot('project-assessment'), fullPage: true });
});

test('targets are edited as expressions, and a bad one is pointed at', async ({ page, request }) => {
  const slug = `targets-${Date.now()}`;
  const token = project(slug);
  await upload(request, slug, token, 'k6/k6-reporter-handlesummary-simple.json', 'scenario=sustained&commit=abc123');

  await page.goto(`${base()}/projects/${slug}/targets`);
  await hydrated(page);
  const editor = page.getByRole('textbox', { name: 'Targets' });
  await expect(editor).toHaveValue(/p95 < 500 ms/);
  await editor.fill('p95 < 100ms\nerror_rate < 50%\nthroughput > 10 fast');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.locator('[data-test=target-errors]')).toContainText(
    'line 3: `throughput > 10 fast`, character 17: expected requests per second',
  );
  await editor.fill('p95 < 100ms\nerror_rate < 50%');
  await page.getByRole('button', { name: 'Save targets' }).click();
  await expect(page.getByRole('status')).toContainText('Saved 2 targets.');

  await page.goto(`${base()}/projects/${slug}`);
  await expect(page.locator('[data-check="target:error_rate < 50 %:sustained"]')).toContainText('pass');
  await expect(page.locator('[data-check="target:p95 < 100 ms:sustained"]')).toContainText('pass');
});

test('two runs are compared from lists, with their significance', async ({ page, request }) => {
  const slug = `compare-${Date.now()}`;
  const token = project(slug);
  const a = await upload(request, slug, token, 'k6/xk6-dashboard-out-json-result.ndjson', 'scenario=sustained');
  const b = await upload(request, slug, token, 'jmeter/jmeter-HTMLReportTestFile.jtl.csv', 'scenario=sustained');

  await page.goto(`${base()}/projects/${slug}/compare`);
  await expect(page.getByText('Choose a baseline and a candidate run.')).toBeVisible();
  await page.getByRole('combobox', { name: 'Baseline' }).selectOption(String(a));
  await page.getByRole('combobox', { name: 'Candidate' }).selectOption(String(b));
  await page.getByRole('button', { name: 'Compare' }).click();
  await expect(page).toHaveURL(new RegExp(`baseline=${a}&candidate=${b}`));
  const p95 = page.locator('[data-test=figures] tr[data-figure=latency_p95_ms]');
  await expect(p95).toContainText('125 ms');
  await expect(p95).toContainText('339 ms');
  await expect(p95).toContainText('regression');
  await page.screenshot({ path: shot('compare'), fullPage: true });
});
