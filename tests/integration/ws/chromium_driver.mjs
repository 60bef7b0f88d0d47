// Drives Debian's /usr/bin/chromium (headless) with playwright-core: loads
// the page from an http:// origin, reads window.__result, and checks the
// handshake Chromium saw (it offers permessage-deflate; wsgate must decline).
// usage: node chromium_driver.mjs PAGE_URL USER_DATA_DIR [extra chromium args...]
import { chromium } from 'playwright-core';

const [pageUrl, userDataDir, ...extraArgs] = process.argv.slice(2);
const results = [];
const ok = (name, cond, detail = '') => {
  results.push([name, !!cond]);
  console.log(`  ${cond ? 'PASS' : 'FAIL'} ${name}${cond ? '' : ' ' + detail}`);
};

let context;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    timeout: 60000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync',
           ...extraArgs],
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => console.log(`  [page ${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`  [page error] ${e}`));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  let reqHeaders = null;
  let resp = null;
  cdp.on('Network.webSocketWillSendHandshakeRequest', (ev) => { reqHeaders = ev.request.headers; });
  cdp.on('Network.webSocketHandshakeResponseReceived', (ev) => { resp = ev.response; });
  cdp.on('Network.webSocketFrameError', (ev) => console.log(`  [ws frame error] ${ev.errorMessage}`));

  await page.goto(pageUrl, { timeout: 30000 });
  await page.waitForFunction(() => window.__result, null, { timeout: 45000 });
  const r = await page.evaluate(() => window.__result);
  console.log('  page result: ' + JSON.stringify(r));
  console.log('  handshake request headers: ' + JSON.stringify(reqHeaders));
  console.log('  handshake response: ' + JSON.stringify(resp && { status: resp.status, headers: resp.headers }));

  const lower = (h) => Object.fromEntries(Object.entries(h || {}).map(([k, v]) => [k.toLowerCase(), v]));
  const rq = lower(reqHeaders);
  const rs = lower(resp && resp.headers);
  ok('chromium offered permessage-deflate', /permessage-deflate/i.test(rq['sec-websocket-extensions'] || ''),
     JSON.stringify(rq));
  ok('handshake answered 101', resp && resp.status === 101, JSON.stringify(resp));
  ok('no Sec-WebSocket-Extensions in the 101', !('sec-websocket-extensions' in rs), JSON.stringify(rs));
  ok('ws.extensions is empty', r.extensions === '', JSON.stringify(r.extensions));
  ok('text message echoed identical, as text', r.textOk);
  ok('binary message (70000 bytes) echoed identical, as binary', r.binaryOk);
  ok('closed cleanly with 1000', r.closeCode === 1000 && r.wasClean === true,
     `code=${r.closeCode} wasClean=${r.wasClean}`);
  ok('no errors on the page', r.errors.length === 0, JSON.stringify(r.errors));
} catch (e) {
  ok('chromium run completed', false, String(e && e.stack || e));
} finally {
  if (context) await context.close().catch((e) => console.log('close: ' + e));
}
const failed = results.filter((r) => !r[1]).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
