// Certificates in the browser: a maintainer imports the team's readiness
// document, issues a certificate with the button, reads it as a printable
// page with every artifact's SHA-256, downloads its PDF from the list, and
// the CLI verifies the download against the server's public key.
import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { base, fixturePath, hydrated, project, shot } from './helpers';

test('import claims, issue a certificate, read it, download and verify its PDF', async ({ page, request }) => {
  const slug = `cert-${Date.now()}`;
  const token = project(slug);
  const summary = readFileSync(fixturePath('k6/k6-reporter-handlesummary-simple.json'));
  const sha = createHash('sha256').update(summary).digest('hex');
  const res = await request.post(
    `${base()}/api/v1/projects/${slug}/runs?scenario=sustained&commit=abc123&environment=staging`,
    { headers: { Authorization: `Bearer ${token}` }, data: summary },
  );
  expect(res.status()).toBe(201);

  await page.goto(`${base()}/projects/${slug}/certificates`);
  await hydrated(page);
  await expect(page.locator('[data-test=no-certificates]')).toBeVisible();
  const key = (await (await request.get(`${base()}/api/v1/signing-key`)).json()).public_key;
  await expect(page.locator('[data-test=public-key]')).toHaveText(key);

  // The team's readiness document, imported from the browser.
  const claims = page.getByRole('form', { name: 'Import claims' });
  await claims.getByLabel('Markdown document').setInputFiles(fixturePath('claims/laravel-api-production-readiness.md'));
  await claims.getByRole('button', { name: 'Import claims' }).click();
  await expect(page.locator('[data-test=notice]')).toContainText('Imported laravel-api-production-readiness.md');
  await expect(page.locator('[data-test=claims-document]')).toContainText('laravel-api-production-readiness.md');

  // Issued with the button, the certificate opens as its own page.
  const issue = page.getByRole('form', { name: 'Issue a certificate' });
  await issue.getByRole('textbox', { name: 'Commit' }).fill('abc123');
  await issue.getByRole('textbox', { name: 'Environment' }).fill('staging');
  await issue.getByRole('button', { name: 'Issue certificate' }).click();
  await expect(page).toHaveURL(`${base()}/projects/${slug}/certificates/1`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Readiness certificate No. 1');
  await expect(page.locator('[data-test=certificate-verdict]')).toHaveText(/certified|conditional/);
  await expect(page.locator('[data-test=targets]')).toContainText('p95 < 500 ms');
  await expect(page.locator('[data-test=manifest]')).toContainText(sha);
  await expect(page.locator('[data-test=claims]')).toContainText(/confirmed|contradicted|unsupported/);
  await expect(page.locator('[data-test=signature]')).not.toBeEmpty();
  await page.screenshot({ path: shot('certificate'), fullPage: true });

  // Listed, and its PDF downloads from the list.
  await page.getByRole('link', { name: 'All certificates' }).click();
  await hydrated(page);
  const row = page.locator('[data-test=certificates] tbody tr[data-certificate="1"]');
  await expect(row).toContainText('abc123');
  await expect(row).toContainText('staging');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('link', { name: /^PDF/ }).click(),
  ]);
  expect(download.suggestedFilename()).toBe(`readiness-${slug}-certificate-1.pdf`);
  const file = join(__dirname, '..', 'output', download.suggestedFilename());
  await download.saveAs(file);
  expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
  await page.screenshot({ path: shot('certificates'), fullPage: true });

  // The project's overview lists it among the latest certificates.
  await page.goto(`${base()}/projects/${slug}`);
  await expect(page.locator('[data-test=latest-certificates]')).toContainText('No. 1');

  // The CLI checks the downloaded PDF's signature and every artifact
  // against the server, with the project's token.
  const out = execFileSync(process.env.READINESS_BIN!, ['verify', file, '--server', base(), '--token', token]).toString();
  expect(out).toContain(sha);
});

test('anonymous visitors see no certificate and no issue button, and are offered to sign in', async ({ browser }) => {
  const slug = `certv-${Date.now()}`;
  project(slug);
  const anonymous = await browser.newContext({ storageState: undefined });
  const page = await anonymous.newPage();
  const res = await page.goto(`${base()}/projects/${slug}/certificates/1`);
  expect(res!.status()).toBe(401);
  await expect(page.getByRole('link', { name: 'Sign in' }).last()).toHaveAttribute('href', /\/login\?next=/);
  const list = await page.goto(`${base()}/projects/${slug}/certificates`);
  expect(list!.status()).toBe(401);
  await expect(page.getByRole('form', { name: 'Issue a certificate' })).toHaveCount(0);
  await anonymous.close();
});
