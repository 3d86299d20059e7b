// Access in the browser: a private project is closed to strangers, an admin
// adds a user and gives them a role, the user signs in with the form and
// reads but cannot manage, sign-out ends the session, and the audit log
// shows who did what. Every page carries the Content-Security-Policy.
import { test, expect, Page } from '@playwright/test';
import { base, fixture as anyFixture, hydrated, project, shot } from './helpers';

const fixture = (name: string) => anyFixture(`k6/${name}`);

async function signIn(page: Page, name: string, password: string) {
  const form = page.getByRole('form', { name: 'Sign in' });
  await form.getByRole('textbox', { name: 'Name' }).fill(name);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Sign in' }).click();
}

test('a stranger signs in to a private project, reads it as a viewer and cannot manage it', async ({
  page,
  browser,
  request,
}) => {
  const slug = `acc-${Date.now()}`;
  const token = project(slug);
  const res = await request.post(`${base()}/api/v1/projects/${slug}/runs?scenario=sustained&commit=abc`, {
    headers: { Authorization: `Bearer ${token}` },
    data: fixture('k6-reporter-handlesummary-simple.json'),
  });
  expect(res.status()).toBe(201);

  // The admin (this page's session) adds a user in the browser.
  const name = `lead${Date.now() % 100000}`;
  const password = 'a lead password long enough';
  await page.goto(`${base()}/admin/users`);
  await hydrated(page);
  const add = page.getByRole('form', { name: 'Add a user' });
  await add.getByRole('textbox', { name: 'Name' }).fill(name);
  await add.getByLabel(/Password/).fill(password);
  await add.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status')).toContainText(`Added ${name}`);

  // ...and makes them a viewer of the project.
  await page.goto(`${base()}/projects/${slug}/access`);
  await hydrated(page);
  const member = page.getByRole('form', { name: "Set a member's role" });
  await member.getByRole('combobox', { name: /User/ }).selectOption(name);
  await member.getByRole('combobox', { name: /Role/ }).selectOption('viewer');
  await member.getByRole('button', { name: 'Set role' }).click();
  await expect(page.getByRole('status')).toBeVisible();
  await page.reload();
  await expect(page.locator('[data-test=members]')).toContainText(name);
  await expect(page.locator('[data-test=members]')).toContainText('viewer');

  // A stranger's browser: the project is not shown, and the page says to sign in.
  const stranger = await browser.newContext({ storageState: undefined });
  const other = await stranger.newPage();
  const answer = await other.goto(`${base()}/projects/${slug}`);
  const csp = answer!.headers()['content-security-policy'];
  expect(csp).toContain("'wasm-unsafe-eval'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain("'unsafe-inline'");
  await expect(other.getByRole('heading', { level: 1 })).not.toHaveText(`${slug} API`);
  await expect(other.locator('main')).not.toContainText('sustained');
  await other.getByRole('main').getByRole('link', { name: 'Sign in' }).click();

  // A wrong password is refused with a reason, then the right one lets them in
  // and brings them back to the page they wanted.
  await signIn(other, name, 'not the password at all');
  await expect(other.locator('[data-test=login-error]')).toContainText('wrong name or password');
  await signIn(other, name, password);
  await expect(other).toHaveURL(`${base()}/projects/${slug}`);
  await expect(other.getByRole('heading', { level: 1 })).toHaveText(`${slug} API`);
  await expect(other.locator('[data-test=signed-in]')).toHaveText(name);
  const cookies = await stranger.cookies();
  const session = cookies.find((c) => c.name === 'rdy_session')!;
  expect(session.httpOnly).toBe(true);
  expect(session.sameSite).toBe('Lax');
  await hydrated(other);

  // A viewer reads, but the access page refuses to manage tokens.
  await other.goto(`${base()}/projects/${slug}/access`);
  await expect(other.getByRole('button', { name: 'Create token' })).toHaveCount(0);
  await expect(other.locator('main')).toContainText(/admin/i);
  // The API agrees: a viewer's session cannot change targets.
  const put = await other.request.put(`${base()}/api/v1/projects/${slug}/targets`, {
    headers: { Origin: base() },
    data: { targets: ['p95 < 1s'] },
  });
  expect(put.status()).toBe(403);

  // Signing out ends the session: the page is closed again.
  await other.getByRole('button', { name: 'Sign out' }).click();
  await other.goto(`${base()}/projects/${slug}`);
  await expect(other.locator('main')).not.toContainText('sustained');
  await stranger.close();

  // The admin reads who did what.
  await page.goto(`${base()}/admin/log`);
  const log = page.locator('[data-test=log]');
  await expect(log).toContainText('upload.run');
  await expect(log).toContainText('session.refused');
  await expect(log).toContainText('session.start');
  await expect(log).toContainText(name);
  await page.screenshot({ path: shot('audit-log'), fullPage: true });
});

test('a cross-site form post with the session cookie is refused', async ({ page }) => {
  const slug = `csrf-${Date.now()}`;
  project(slug);
  // A page on another origin posts to Readiness; the browser sends the
  // SameSite=Lax cookie only on top-level navigations, and the server
  // refuses cross-site state changes whatever the cookie.
  const res = await page.request.put(`${base()}/api/v1/projects/${slug}/targets`, {
    headers: { Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
    data: { targets: ['p95 < 9s'] },
  });
  expect(res.status()).toBe(403);
  expect((await res.json()).error.message).toContain('cross-site request refused');
  const targets = await page.request.get(`${base()}/api/v1/projects/${slug}/targets`);
  expect((await targets.json()).targets).toHaveLength(7);
});

test('the browser bundle is sent gzipped, with its type and nosniff', async ({ request }) => {
  const res = await request.get(`${base()}/pkg/readiness_bg.wasm`, { headers: { 'accept-encoding': 'gzip' } });
  expect(res.status()).toBe(200);
  expect(res.headers()['content-encoding']).toBe('gzip');
  expect(res.headers()['content-type']).toBe('application/wasm');
  expect(res.headers()['x-content-type-options']).toBe('nosniff');
  // Playwright decompresses: the body is the WASM itself.
  expect((await res.body()).subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
});
