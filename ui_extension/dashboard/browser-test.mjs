// Headless Chromium (Debian's) drives the dashboard of a running, seeded daemon: a wrong token is
// refused, the right one opens every panel, and each panel shows data. Screenshots go to OUT.
//   node browser-test.mjs URL TOKEN OUT
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [url, token, out] = process.argv.slice(2);
if (!url || !token || !out) {
  console.error('usage: node browser-test.mjs URL TOKEN OUT');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  const external = [];
  page.on('request', (r) => { if (!r.url().startsWith(url)) external.push(r.url()); });

  await page.goto(url);
  await page.waitForSelector('#login:not([hidden])');
  await page.fill('#token', 'not-the-token');
  await page.click('#login button[type=submit]');
  await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0);
  check((await page.textContent('#login-error')).includes('refused'), 'a wrong token is refused');

  errors.length = 0;  // the refused token's 401 was expected
  await page.fill('#token', token);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('body[data-state=ready]', { timeout: 30000 });
  await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });

  const panels = ['distribution', 'trend', 'segments', 'engagement', 'top', 'plays', 'recommendations', 'sync'];
  for (const p of panels) {
    const sel = `[data-panel="${p}"]`;
    check((await page.getAttribute(sel, 'data-state')) === 'ready', `panel ${p} rendered`);
    await page.locator(sel).screenshot({ path: join(out, `panel-${p}.png`) });
  }
  // Each panel shows data, not just a frame.
  const tierTotal = await page.$$eval('#tiers b', (bs) => bs.reduce((s, b) => s + Number(b.textContent), 0));
  check(tierTotal > 0, `distribution: ${tierTotal} customers in tiers`);
  for (const id of ['histogram', 'trend', 'segments', 'engagement']) {
    const points = await page.evaluate((cid) => {
      const c = window.Chart.getChart(document.getElementById(cid));
      return c ? c.data.datasets.reduce((s, d) => s + d.data.filter((v) => v !== null && v !== undefined).length, 0) : 0;
    }, id);
    check(points > 0, `chart ${id}: ${points} data points`);
  }
  // One pipeline run: one day of scores, which the trend panel says rather than show a bare point.
  const trendNote = await page.textContent('#trend-note');
  check(/one day so far/.test(trendNote), `trend note: ${trendNote}`);
  const topRows = await page.$$eval('#top tbody tr', (r) => r.length);
  check(topRows >= 10, `highest risk: ${topRows} customers`);
  const topReasons = await page.$$eval('#top tbody tr td:nth-child(4)', (t) => t.filter((x) => x.textContent.length > 0).length);
  check(topReasons >= 10, `highest risk: ${topReasons} with reasons`);
  const owners = await page.$$eval('#top tbody tr td:nth-child(6)', (t) => t.filter((x) => /^\S+ \S+$/.test(x.textContent)).length);
  check(owners >= 10, `highest risk: ${owners} with their owner's name`);
  const playRows = await page.$$eval('#plays tbody tr', (r) => r.map((x) => x.textContent));
  check(playRows.length > 0 && playRows[0].includes('active'), `plays: ${playRows[0] ?? 'none'}`);
  const recs = await page.$$eval('#recommendations li', (l) => l.length);
  check(recs > 0, `recommendations: ${recs}`);
  const drivers = await page.$$eval('#drivers li', (l) => l.map((x) => x.textContent));
  check(drivers.length > 0, `risk drivers: ${drivers.length}`);
  // Counted by the phrase each reason came from: the value is '#', the phrase's own numbers stay.
  check(drivers.some((t) => /^Support sentiment # \(of -100\.\.100\)/.test(t)) && !drivers.some((t) => /-#/.test(t)),
    `risk drivers by phrase: ${drivers.join(' | ')}`);
  const sync = await page.textContent('#sync');
  check(/API calls/.test(sync) && /Outbox/.test(sync), 'sync status and API budget shown');
  check(errors.length === 0, `no script errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
  check(external.length === 0, `nothing loaded from outside the daemon${external.length ? ': ' + external.join(', ') : ''}`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.error(`${failures.length} check(s) failed; screenshots in ${out}`);
  process.exit(1);
}
console.log(`dashboard browser test passed; screenshots in ${out}`);
