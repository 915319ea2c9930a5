/**
 * End to end in a real headless Chromium (playwright-core driving Debian's /usr/bin/chromium):
 * drop an image on the page, see the right number of results, search "more like this" by
 * mouse and by keyboard, paste, pick a file, browse. Saves test-output/serve-results.png.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { outsidePhoto, startFixture, type Fixture } from './helpers/serve-fixture.js';
import { ROOT } from './helpers/paths.js';
import { DEFAULT_PRESET } from '../src/encode/recipe.js';

const CHROMIUM = process.env.SIMILI_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOT = path.join(ROOT, 'test-output', 'serve-results.png');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let fx: Fixture;
let browser: Browser;
let page: Page;

before(async () => {
  // CI installs chromium (apt-get install -y chromium); a missing browser must fail loudly, not skip.
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
  fx = await startFixture();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (err) => assert.fail(`page error: ${err.message}`));
  await page.goto(fx.server.url);
  await page.locator('#collection', { hasText: 'mobilenetv2-tf' }).waitFor();
  await page.selectOption('#k', '10');
});

after(async () => {
  await browser?.close();
  await fx?.close();
});

/**
 * Browser-side code as a string (this project's TypeScript has no DOM types): builds a
 * DataTransfer holding `bytes` as a file and fires a drop on the drop zone, or a paste.
 */
function dispatchWithFile(kind: 'drop' | 'paste', name: string, bytes: Buffer): string {
  return `(() => {
    const raw = atob(${JSON.stringify(bytes.toString('base64'))});
    const data = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([data], ${JSON.stringify(name)}, { type: 'image/jpeg' }));
    const init = { bubbles: true, cancelable: true };
    if (${JSON.stringify(kind)} === 'paste') {
      document.dispatchEvent(new ClipboardEvent('paste', { ...init, clipboardData: dt }));
    } else {
      const zone = document.getElementById('drop');
      zone.dispatchEvent(new DragEvent('dragover', { ...init, dataTransfer: dt }));
      zone.dispatchEvent(new DragEvent('drop', { ...init, dataTransfer: dt }));
    }
  })()`;
}

async function resultCount(): Promise<number> {
  return page.locator('#results > li').count();
}

/** Wait for a search to finish: the status line says how many results came back. */
async function waitForResults(n: number): Promise<void> {
  await page.locator('#status', { hasText: `${n} results` }).waitFor();
  assert.equal(await resultCount(), n);
}

test('the page shows the collection and its model', async () => {
  const text = await page.textContent('#collection');
  assert.match(text ?? '', new RegExp(`${fx.total} images`));
  assert.match(text ?? '', new RegExp(`mobilenetv2-tf \\(${DEFAULT_PRESET} recipe, 1280-d\\)`));
});

test('dropping an image shows the query beside k results', async () => {
  await page.evaluate(dispatchWithFile('drop', 'dinosaur.jpg', outsidePhoto('4_dinosaurs')));
  await waitForResults(10);
  assert.equal(await page.isVisible('#query'), true);
  assert.equal(await page.textContent('#query-label'), 'dinosaur.jpg');
  const first = await page.locator('#results > li').first().textContent();
  assert.match(first ?? '', /^4\d\d\.jpg\s*0\.\d{3}$/, 'best result is a dinosaur with its score');
  // Every thumbnail actually loaded.
  await page.waitForFunction("[...document.querySelectorAll('#results img')].every((i) => i.complete && i.naturalWidth > 0)");
  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
  assert.ok(existsSync(SCREENSHOT));
});

test('the results grid fits a phone screen', async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
  assert.equal(overflow, 0, 'no horizontal scrolling');
  const columns = await page.evaluate("getComputedStyle(document.getElementById('results')).gridTemplateColumns.split(' ').length");
  assert.equal(Number(columns), 2, 'two columns of results on a phone');
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('clicking a result searches by it ("more like this")', async () => {
  const second = page.locator('#results > li button').nth(1);
  const id = await second.getAttribute('data-id');
  const name = await second.locator('.name').textContent();
  await second.click();
  await page.waitForURL(new RegExp(`#id=${id}$`));
  await page.locator('#query-label', { hasText: name! }).waitFor();
  await waitForResults(10);
  const ids = await Promise.all((await page.locator('#results > li button').all()).map((b) => b.getAttribute('data-id')));
  assert.ok(!ids.includes(id!), 'the query is not among its own results');
  // Back returns to the previous query.
  await page.goBack();
  await page.waitForURL((u) => u.hash === '');
});

test('keyboard: Tab to a result, Enter searches by it', async () => {
  await page.goto(`${fx.server.url}#id=1`);
  await waitForResults(10);
  const third = page.locator('#results > li button').nth(2);
  const id = await third.getAttribute('data-id');
  await third.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`#id=${id}$`));
  await waitForResults(10);
  // Controls are labelled for assistive technology.
  assert.equal(await page.getByLabel('Image URL').count(), 1);
  assert.equal(await page.getByLabel('Choose an image').count(), 1);
  assert.equal(await page.getByLabel('Number of results').count(), 1);
});

test('pasting an image and choosing a file both search', async () => {
  await page.evaluate(dispatchWithFile('paste', 'pasted.jpg', outsidePhoto('7_horses', 1)));
  await page.locator('#query-label', { hasText: 'pasted.jpg' }).waitFor();
  await waitForResults(10);

  await page.selectOption('#k', '20');
  await page.setInputFiles('#file', { name: 'africa.jpg', mimeType: 'image/jpeg', buffer: outsidePhoto('0_africa', 3) });
  await page.locator('#query-label', { hasText: 'africa.jpg' }).waitFor();
  await waitForResults(20);
  await page.selectOption('#k', '10');
});

test('re-ranking and the category gate from the form', async () => {
  await page.selectOption('#rerank', 'ssim');
  await page.check('#bycat');
  await page.goto(`${fx.server.url}#id=2`);
  await page.locator('#status', { hasText: 'categories:' }).waitFor();
  assert.equal(await resultCount(), 10);
  await page.selectOption('#rerank', '');
  await page.uncheck('#bycat');
});

test('a failed search shows the server\'s message', async () => {
  await page.fill('#url', 'http://127.0.0.1:1/nothing.jpg');
  await page.click('button[type=submit]');
  await page.locator('#status.error', { hasText: 'DOWNLOAD_FAILED' }).waitFor();
});

test('browse pages through the collection', async () => {
  await page.click('#tab-browse');
  await page.locator('#page-info', { hasText: `Page 1 of 1 (${fx.total} images)` }).waitFor();
  assert.equal(await page.locator('#browse > li').count(), fx.total);
  assert.equal(await page.isDisabled('#next'), true);
  assert.equal(await page.isVisible('#view-search'), false);
  await page.locator('#browse > li button').first().click();
  await page.waitForURL(/#id=\d+$/);
  await waitForResults(10);
  assert.equal(await page.isVisible('#view-browse'), false);
});
