// Every page of the dashboard in Chromium: it loads, hydrates, its main
// control works, Chromium's accessibility tree names every control, and a
// screenshot is saved under end2end/output for review.
import { test, expect, Page, APIRequestContext, Browser } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STATE } from '../global-setup';

const base = () => process.env.READINESS_URL!;
const fixturePath = (path: string) => join(__dirname, '..', '..', 'core', 'tests', 'fixtures', path);
const fixture = (path: string) => readFileSync(fixturePath(path));
const shot = (name: string) => join(__dirname, '..', 'output', `${name}.png`);

async function hydrated(page: Page) {
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** A project and its token, made with the CLI on the server's database. */
function project(slug: string, name: string): string {
  const bin = process.env.READINESS_BIN!;
  const db = process.env.READINESS_E2E_DB!;
  execFileSync(bin, ['project', 'create', slug, '--name', name, '--db', db]);
  return execFileSync(bin, ['token', 'create', '--project', slug, '--db', db]).toString().trim();
}

async function uploadRun(
  request: APIRequestContext,
  slug: string,
  token: string,
  file: string,
  query: string,
): Promise<number> {
  const name = file.split('/').pop();
  const res = await request.post(`${base()}/api/v1/projects/${slug}/runs?${query}&filename=${name}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: fixture(file),
  });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()).id as number;
}

async function uploadEvidence(request: APIRequestContext, slug: string, token: string, file: string, name: string, query = '') {
  const res = await request.post(`${base()}/api/v1/projects/${slug}/evidence?filename=${name}${query}`, {
    headers: { Authorization: `Bearer ${token}` },
    data: fixture(file),
  });
  expect(res.status(), await res.text()).toBe(201);
}

/**
 * Every control in Chromium's accessibility tree (buttons, links, fields,
 * menus, checkboxes) has a name a screen reader can say.
 */
async function controlsAreNamed(page: Page) {
  const cdp = await page.context().newCDPSession(page);
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as {
    nodes: { ignored: boolean; role?: { value: string }; name?: { value: string } }[];
  };
  const controls = ['button', 'link', 'textbox', 'combobox', 'checkbox', 'spinbutton', 'searchbox', 'radio', 'slider'];
  const unnamed = nodes
    .filter((n) => !n.ignored && controls.includes(n.role?.value ?? ''))
    .filter((n) => !(n.name?.value ?? '').trim())
    .map((n) => n.role?.value);
  const named = nodes.filter((n) => !n.ignored && controls.includes(n.role?.value ?? '')).length;
  expect(named, 'the page has controls').toBeGreaterThan(0);
  expect(unnamed, 'controls without an accessible name').toEqual([]);
  await cdp.detach();
}

/** The page does not scroll sideways as a whole (tables may, inside). */
async function fitsWidth(page: Page, path: string) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `horizontal overflow in px on ${path}`).toBeLessThanOrEqual(0);
}

const slug = `dash-${Date.now()}`;
let token = '';
const runs: number[] = [];

test.describe.serial('dashboard', () => {
  test.beforeAll(async ({ request }) => {
    token = project(slug, 'Dashboard API');
    runs.push(await uploadRun(request, slug, token, 'k6/k6-reporter-handlesummary-simple.json', 'scenario=sustained&commit=c0ffee1&environment=staging'));
    runs.push(await uploadRun(request, slug, token, 'k6/xk6-dashboard-out-json-result.ndjson', 'scenario=ramp-up&commit=c0ffee2&environment=staging'));
    runs.push(await uploadRun(request, slug, token, 'jmeter/jmeter-HTMLReportTestFile.jtl.csv', 'scenario=sustained&commit=c0ffee2&environment=production'));
    await uploadEvidence(request, slug, token, 'audit/redis/redis.conf', 'redis.conf', '&commit=c0ffee2&environment=staging');
  });

  test('projects list: verdict, category scores, coverage and last activity', async ({ page }) => {
    await page.goto(`${base()}/`);
    const row = page.locator(`[data-test=projects] tr[data-project="${slug}"]`);
    await expect(row).toContainText('Dashboard API');
    await expect(row).toContainText(/certified|conditional/);
    await expect(row.locator('td').nth(6)).toContainText('%');
    await expect(row.locator('td').nth(7)).toHaveText('3');
    await expect(row.locator('td').nth(8)).toHaveText('1');
    await expect(page.getByRole('columnheader', { name: 'Load testing' })).toBeVisible();
    await hydrated(page);
    await controlsAreNamed(page);
    await page.screenshot({ path: shot('projects'), fullPage: true });
  });

  test('overview: verdict, targets, trends with targets drawn, latest runs and evidence', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}`);
    await expect(page.locator('[data-test=verdict]')).toBeVisible();
    await expect(page.locator('[data-test=categories] li')).toHaveCount(5);
    await expect(page.locator('[data-test=checks]')).toContainText('p95 < 500 ms');
    const trends = page.locator('[data-test=trends] svg');
    await expect(trends).toHaveCount(4);
    // Each trend names its target in the drawing, and each run on the axis.
    await expect(page.locator('[data-test=trends]')).toContainText('p95 < 500 ms');
    await expect(page.locator('[data-test=trends]')).toContainText(`#${runs[2]}`);
    await expect(page.locator('[data-test=runs] tbody tr')).toHaveCount(3);
    await expect(page.getByRole('region', { name: 'Latest audit evidence' })).toContainText('redis.conf');
    await hydrated(page);
    await controlsAreNamed(page);
    await expect(page.getByRole('navigation', { name: 'Project' })).toMatchAriaSnapshot(`
      - navigation "Project":
        - list:
          - listitem:
            - link "Overview"
          - listitem:
            - link "Upload"
          - listitem:
            - link "Evidence"
          - listitem:
            - link "Runs"
          - listitem:
            - link "Compare"
          - listitem:
            - link "Audit"
          - listitem:
            - link "Targets"
          - listitem:
            - link "Host profile"
          - listitem:
            - link "Access"
    `);
    await page.screenshot({ path: shot('project-overview'), fullPage: true });
  });

  test('a run uploaded by CI appears on an open page without a reload', async ({ page, request }) => {
    await page.goto(`${base()}/projects/${slug}`);
    await hydrated(page);
    const rows = page.locator('[data-test=runs] tbody tr');
    await expect(rows).toHaveCount(3);
    const id = await uploadRun(request, slug, token, 'k6/k6-html-reporter-handlesummary-groups.json', 'scenario=spike&commit=c0ffee3');
    runs.push(id);
    await expect(rows.first()).toHaveAttribute('data-run-id', String(id), { timeout: 20_000 });
    await expect(rows).toHaveCount(4);
    await expect(page.locator('[data-test=live-runs]')).toContainText('1 new run arrived');
  });

  test('runs page lists every run with the sortable table', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}/runs`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Runs');
    await expect(page.getByText('Runs 1 to 4 of 4, newest first. Page 1 of 1.')).toBeVisible();
    await hydrated(page);
    const throughput = page.getByRole('columnheader', { name: 'Throughput' });
    await throughput.getByRole('button').click();
    await expect(throughput).toHaveAttribute('aria-sort', 'ascending');
    await controlsAreNamed(page);
    await page.screenshot({ path: shot('runs'), fullPage: true });
  });

  test('run page: figures, charts over time, endpoints filter, artifact with its SHA-256', async ({ page }) => {
    await page.goto(`${base()}/runs/${runs[1]}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Run ${runs[1]}`);
    await expect(page.locator('[data-test=scenario-verdict]')).toBeVisible();
    await expect(page.locator('.charts svg').first()).toBeVisible();
    await hydrated(page);
    await controlsAreNamed(page);
    const download = page.getByRole('link', { name: /xk6-dashboard-out-json-result\.ndjson/ });
    await expect(download).toHaveAttribute('href', `/api/v1/runs/${runs[1]}/artifact`);
    await page.screenshot({ path: shot('run'), fullPage: true });
  });

  test('compare: choose runs from lists, overlaid charts and endpoint changes', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}/compare`);
    await page.getByRole('combobox', { name: /^Baseline/ }).selectOption(String(runs[1]));
    await page.getByRole('combobox', { name: /^Candidate/ }).selectOption(String(runs[2]));
    await page.getByRole('button', { name: 'Compare' }).click();
    await expect(page).toHaveURL(new RegExp(`baseline=${runs[1]}&candidate=${runs[2]}`));
    await expect(page.locator('[data-test=overlay] svg')).toHaveCount(3);
    await expect(page.locator('[data-test=overlay]').first()).toContainText(`baseline #${runs[1]}`);
    await expect(page.locator('[data-test=overlay]').first()).toContainText(`candidate #${runs[2]}`);
    await expect(page.locator('[data-test=figures]')).toContainText('latency p95');
    await hydrated(page);
    await controlsAreNamed(page);
    await page.screenshot({ path: shot('compare'), fullPage: true });
  });

  test('evidence: everything uploaded, filtered by kind, commit and environment', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}/evidence`);
    const rows = page.locator('[data-test=evidence] tbody tr');
    await expect(rows).toHaveCount(5);
    await expect(page.locator('[data-test=evidence]')).toContainText('redis.conf');
    await page.getByRole('combobox', { name: /^Kind/ }).selectOption('redis_conf');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(rows).toHaveCount(1);
    await expect(page.locator('[data-test=evidence-count]')).toHaveText('1 of 5 artifacts match, newest first.');
    await page.getByRole('combobox', { name: /^Kind/ }).selectOption('run');
    await page.getByRole('combobox', { name: /^Commit/ }).selectOption('c0ffee2');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(rows).toHaveCount(2);
    await page.getByRole('combobox', { name: /^Environment/ }).selectOption('production');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText('jmeter-HTMLReportTestFile.jtl.csv');
    // Every SHA-256 is shown whole, next to the file it names.
    await expect(rows.first().locator('code.sha')).toHaveText(/^[0-9a-f]{64}$/);
    await hydrated(page);
    await controlsAreNamed(page);
    await page.screenshot({ path: shot('evidence'), fullPage: true });
  });

  test('upload: files chosen in the browser are sent with progress and appear', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}/upload`);
    await hydrated(page);
    await controlsAreNamed(page);
    // A raw k6 result, sent in chunks, becomes a run.
    await page.getByLabel(/choose them/).setInputFiles(fixturePath('k6/k6-html-reporter-legacy-summary-export-groups-thresholds.json'));
    await expect(page.getByRole('list', { name: 'Chosen files' })).toContainText('k6-html-reporter-legacy-summary-export-groups-thresholds.json');
    await page.getByRole('combobox', { name: /^Scenario of a load test/ }).selectOption('soak');
    await page.getByRole('textbox', { name: 'Commit' }).fill('c0ffee4');
    await page.getByRole('textbox', { name: 'Environment' }).fill('staging');
    await page.getByRole('button', { name: 'Upload' }).click();
    const status = page.locator('[data-test=upload-status]');
    await expect(status).toContainText(/Stored as run \d+/);
    runs.push(Number((await status.innerText()).match(/Stored as run (\d+)/)![1]));
    await page.screenshot({ path: shot('upload'), fullPage: true });
    await status.getByRole('link', { name: /Open run/ }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Run \d+/);
    await expect(page.locator('dl.meta')).toContainText('c0ffee4');
    await expect(page.locator('dl.meta')).toContainText('soak');

    // A configuration file, recognised without being told, becomes evidence.
    await page.goto(`${base()}/projects/${slug}/upload`);
    await hydrated(page);
    await page.getByLabel(/choose them/).setInputFiles(fixturePath('audit/nginx/nginx.conf'));
    await page.getByRole('button', { name: 'Upload' }).click();
    await expect(page.locator('[data-test=upload-status]')).toContainText('Stored as audit evidence');
    await expect(page.locator('[data-test=upload-status]')).toContainText('nginx.conf (nginx configuration)');

    // A file that is neither is refused with a reason naming it.
    await page.getByLabel(/choose them/).setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('these are meeting notes, not a result\n'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    const error = page.locator('[data-test=upload-status]').getByRole('alert');
    await expect(error).toContainText('notes.txt');
    await expect(error).toContainText('Not a load-test result');

    await page.goto(`${base()}/projects/${slug}/evidence`);
    await expect(page.locator('[data-test=evidence]')).toContainText('nginx.conf');
    await expect(page.locator('[data-test=evidence]')).toContainText('k6-html-reporter-legacy-summary-export-groups-thresholds.json');
  });

  test('host profile: servers edited, a mistake named, and the profile kept', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}/host`);
    await hydrated(page);
    await controlsAreNamed(page);
    const row = page.locator('[data-test=server-row]').first();
    await row.getByRole('textbox', { name: 'Name' }).fill('app1');
    await row.getByRole('checkbox', { name: 'PHP' }).check();
    await row.getByRole('checkbox', { name: 'web' }).check();
    await row.getByRole('textbox', { name: 'RAM' }).fill('8 GHz');
    await row.getByRole('spinbutton', { name: 'CPUs' }).fill('4');
    await page.getByRole('button', { name: 'Add a server' }).click();
    const second = page.locator('[data-test=server-row]').nth(1);
    await second.getByRole('textbox', { name: 'Name' }).fill('db1');
    await second.getByRole('checkbox', { name: 'database' }).check();
    await second.getByRole('textbox', { name: 'RAM' }).fill('16GB');
    await second.getByRole('spinbutton', { name: 'CPUs' }).fill('8');
    await page.getByRole('button', { name: 'Save the host profile' }).click();
    await expect(page.locator('[data-test=host-errors]')).toContainText('server 1 (app1) RAM: `ghz` is not a unit');
    await row.getByRole('textbox', { name: 'RAM' }).fill('8 GiB');
    await page.getByRole('button', { name: 'Save the host profile' }).click();
    await expect(page.getByRole('status')).toContainText('Saved: 2 servers.');
    await page.reload();
    await expect(page.locator('[data-test=server-row]')).toHaveCount(3);
    await expect(page.locator('[data-test=server-row]').nth(1).getByRole('textbox', { name: 'RAM' })).toHaveValue('16 GiB');
    await page.screenshot({ path: shot('host-profile'), fullPage: true });
  });

  test('targets, tokens and audit pages carry named controls', async ({ page }) => {
    for (const [path, name] of [
      ['targets', 'targets'],
      ['tokens', 'tokens'],
      ['audit', 'audit'],
    ]) {
      await page.goto(`${base()}/projects/${slug}/${path}`);
      await hydrated(page);
      await controlsAreNamed(page);
      await page.screenshot({ path: shot(name), fullPage: true });
    }
  });

  test('dark theme by choice, kept across pages', async ({ page }) => {
    await page.goto(`${base()}/projects/${slug}`);
    await hydrated(page);
    const theme = page.getByRole('button', { name: /Theme:/ });
    await expect(theme).toHaveText('Theme: system');
    await theme.click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await page.goto(`${base()}/projects/${slug}/evidence`);
    // Rendered dark by the server from the first paint.
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(21, 24, 28)');
    await page.screenshot({ path: shot('evidence-dark'), fullPage: true });
    await page.goto(`${base()}/projects/${slug}`);
    await page.screenshot({ path: shot('project-overview-dark'), fullPage: true });
  });

  test('a 360 px phone: pages fit the width', async ({ browser }) => {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 }, storageState: STATE });
    const page = await context.newPage();
    for (const [path, name] of [
      ['/', 'projects-phone'],
      [`/projects/${slug}`, 'project-overview-phone'],
      [`/projects/${slug}/evidence`, 'evidence-phone'],
      [`/projects/${slug}/upload`, 'upload-phone'],
      [`/runs/${runs[1]}`, 'run-phone'],
    ]) {
      await page.goto(`${base()}${path}`);
      await fitsWidth(page, path);
      await page.screenshot({ path: shot(name), fullPage: true });
    }
    await context.close();
  });

  test('without JavaScript the overview still reads', async ({ browser }: { browser: Browser }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, storageState: STATE });
    const page = await context.newPage();
    await page.goto(`${base()}/projects/${slug}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Dashboard API');
    await expect(page.locator('[data-test=verdict]')).toContainText(/certified|conditional/);
    await expect(page.locator('[data-test=checks]')).toContainText('p95 < 500 ms');
    await expect(page.locator('[data-test=trends] svg')).toHaveCount(4);
    await expect(page.locator('[data-test=runs] tbody tr')).toHaveCount(runs.length);
    // Links are real links: the run page opens without scripts too.
    await page.locator('[data-test=runs] tbody tr').first().getByRole('link').first().click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(/Run \d+/);
    await expect(page.locator('body')).not.toHaveAttribute('data-hydrated', 'true');
    await page.screenshot({ path: shot('run-no-js'), fullPage: true });
    await context.close();
  });
});
