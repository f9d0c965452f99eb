// The two forms as a city representative uses them, in the local preview
// (`generator serve` with a fresh data folder): a plain HTML form with
// JavaScript off, the same with JavaScript on, and the JSON interface the
// page's script (or anyone) uses. Field names and the offered cities and
// events are read from the pages themselves.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeViolations, cleanup, contentEvents, launchBrowser, normalize, sccCities, startServe, tempDir, travelRules, vnuErrors } from './support.mjs';

const RULES = travelRules();
const euros = (cents) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

let serve;
let browser;
let dataDir;
// The HTML pages the forms answer with (errors, refusals), checked at the end: { name, url, status, html }.
const answerPages = [];
async function keepAnswer(name, page, resp) {
  answerPages.push({ name, url: page.url(), status: resp.status(), html: await resp.text() });
}

before(async () => {
  dataDir = tempDir('forms-data');
  serve = await startServe({ dataDir });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await serve?.stop();
  cleanup(dataDir);
});

/** The form posting to `{api_base}/<endpoint>` on a page. */
function formOf(page, endpoint) {
  return page.locator(`form[action$="/${endpoint}"]`);
}

/** What a control offers: select options, radio values or datalist options. */
async function optionsOf(form, name) {
  return form.evaluate((f, n) => {
    const els = [...f.querySelectorAll(`[name="${n}"]`)];
    if (els.length === 0) return null;
    const el = els[0];
    const opt = (o) => ({ value: o.value, text: o.textContent.trim(), data: { ...o.dataset }, group: o.parentElement?.label ?? null });
    if (el.tagName === 'SELECT') return [...el.options].filter((o) => o.value !== '' && !o.disabled).map(opt);
    if (el.type === 'radio') return els.map((r) => ({ value: r.value, text: r.labels?.[0]?.textContent.trim() ?? '', data: { ...r.dataset } }));
    if (el.list) return [...el.list.options].map(opt);
    return [];
  }, name);
}

/** Sets a field by name, whatever control the page uses for it. */
async function setField(form, name, value) {
  const els = form.locator(`[name="${name}"]`);
  const n = await els.count();
  assert.ok(n > 0, `the form has no field named ${name}`);
  const kind = await els.first().evaluate((el) => (el.tagName === 'SELECT' ? 'select' : el.type));
  if (kind === 'select') await els.first().selectOption(value);
  else if (kind === 'radio') await form.locator(`[name="${name}"][value="${value}"]`).check();
  else if (kind === 'checkbox') {
    const box = n > 1 ? form.locator(`[name="${name}"][value="${value}"]`) : els.first();
    await box.check();
  } else await els.first().fill(value);
}

/** Required fields still empty after filling: a field the test does not know about. */
async function emptyRequired(form) {
  return form.evaluate((f) =>
    [...f.elements].filter((el) => el.required && (el.type === 'checkbox' || el.type === 'radio' ? !f.querySelector(`[name="${el.name}"]:checked`) : !el.value)).map((el) => el.name),
  );
}

/** Submits with the form's own button and returns the final response (after redirects). */
async function submit(page, form) {
  const nav = page.waitForNavigation({ waitUntil: 'load' });
  await form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click();
  return nav;
}

/** Content events a claim can be made for (physical, announced by the start, not cancelled). */
function eligibleEvents() {
  return contentEvents().filter((e) => e.format === 'physical' && e.status !== 'cancelled' && e.announced && e.announced <= e.start.slice(0, 10));
}

/** The SCC data entries of a city offered on the page (matching as the rules do: folded names). */
function cityRecords(option) {
  const cities = sccCities();
  const texts = [option.value, option.text, option.data?.name].filter(Boolean).map(normalize);
  return cities.filter((c) => texts.some((t) => t === normalize(c.name) || t.startsWith(`${normalize(c.name)} `) || t.endsWith(` ${normalize(c.name)}`)));
}

/** Cities offered on the claim form that qualify at `date` by the content rules (default rules: ended lighthouse/fellow). */
function qualifyingCities(cityOptions, date) {
  const out = [];
  for (const o of cityOptions) {
    const rec = cityRecords(o).find((c) => ['lighthouse', 'fellow'].includes(c.role) && c.projectEnd && lastDayOfMonth(c.projectEnd) < date);
    if (rec) out.push({ option: o, name: rec.name, country: rec.country });
  }
  return out;
}

function lastDayOfMonth(ym) {
  const [y, m] = ym.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

const jsonPost = async (endpoint, body, headers = {}) => {
  const r = await fetch(`${serve.base}/api/${endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    // asserted by the callers
  }
  return { status: r.status, json, text, headers: r.headers };
};

/** Every key and every `field`/`code` value in a JSON answer: where field names and reason codes appear. */
function namesIn(v, out = new Set()) {
  if (Array.isArray(v)) v.forEach((x) => namesIn(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.add(k);
      if (['field', 'name', 'code', 'reason', 'error'].includes(k) && typeof x === 'string') out.add(x);
      namesIn(x, out);
    }
  } else if (typeof v === 'string') out.add(v);
  return out;
}

/** The first object under a key named like `remaining`. */
function remainingOf(v) {
  if (!v || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    if (/remaining/i.test(k) && x && typeof x === 'object') return x;
    const inner = remainingOf(x);
    if (inner) return inner;
  }
  return null;
}

/** { trips, cents } from a `remaining` object, whatever it names them. */
function readRemaining(rem) {
  const entries = Object.entries(rem);
  const trips = entries.find(([k]) => /trip/i.test(k))?.[1];
  const [key, amount] = entries.find(([k]) => /cent|eur|amount/i.test(k)) ?? [];
  const cents = key && /cent/i.test(key) ? Number(amount) : Math.round(Number(String(amount).replace(',', '.')) * 100);
  return { trips: Number(trips), cents };
}

// ---------------------------------------------------------------------------

describe('registration (/join/)', { timeout: 300_000 }, () => {
  async function fillRegistration(page, email) {
    const form = formOf(page, 'register');
    assert.equal(await form.count(), 1, '/join/ has no form posting to .../register');
    assert.equal((await form.getAttribute('method'))?.toLowerCase(), 'post');
    await setField(form, 'name', 'Ana Exemplo');
    await setField(form, 'email', email);
    const cityOpts = await optionsOf(form, 'city');
    await setField(form, 'city', cityOpts?.length && (await form.locator('select[name="city"]').count()) ? cityOpts[0].value : 'Seraing');
    const countries = await optionsOf(form, 'country');
    assert.ok(countries?.length >= 27, `the country list offers ${countries?.length} entries`);
    assert.ok(countries.some((c) => c.value === 'BE' && /Belgium/.test(c.text)), 'country BE (Belgium) is not offered');
    await setField(form, 'country', 'BE');
    await setField(form, 'organisation', 'City of Seraing');
    await setField(form, 'position', 'Project officer');
    const statuses = (await optionsOf(form, 'city_status')).map((o) => o.value);
    for (const s of ['lighthouse', 'fellow', 'other']) assert.ok(statuses.includes(s), `city_status offers ${statuses.join(', ')}`);
    await setField(form, 'city_status', 'fellow');
    const projects = await optionsOf(form, 'project');
    if (projects?.length && (await form.locator('select[name="project"]').count())) {
      assert.ok(projects.some((p) => p.value === 'REMOURBAN'), 'project list lacks REMOURBAN');
      await setField(form, 'project', 'REMOURBAN');
    } else await setField(form, 'project', 'REMOURBAN');
    await setField(form, 'consent', 'yes');
    const honeypot = form.locator('[name="website"]');
    assert.equal(await honeypot.count(), 1, 'no honeypot field named website');
    assert.equal(await honeypot.inputValue(), '');
    assert.deepEqual(await emptyRequired(form), [], 'required fields the test did not fill');
    return form;
  }

  test('with JavaScript off: submit and land on /join/thanks/', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${serve.base}/join/`);
    const form = await fillRegistration(page, `ana.${uniq()}@example.org`);
    const resp = await submit(page, form);
    assert.equal(new URL(page.url()).pathname, '/join/thanks/', `landed on ${page.url()} (status ${resp?.status()}): ${(await page.locator('body').innerText()).slice(0, 500)}`);
    assert.equal(resp.status(), 200);
    await ctx.close();
  });

  test('with JavaScript off: a bad email comes back as an error page naming the field', async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${serve.base}/join/`);
    const form = await fillRegistration(page, 'ana.example.org');
    // The browser's own check would stop a person here; the server must check too.
    await form.evaluate((f) => f.setAttribute('novalidate', ''));
    const resp = await submit(page, form);
    await keepAnswer('registration with a bad email', page, resp);
    assert.ok(resp.status() >= 400 && resp.status() < 500, `status ${resp.status()} at ${page.url()}`);
    assert.match(await page.locator('body').innerText(), /e-?mail/i);
    await ctx.close();
  });

  test('with JavaScript on: the enhanced form (if any) also succeeds', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(`${serve.base}/join/`);
    const form = await fillRegistration(page, `ana.${uniq()}@example.org`);
    const posted = page.waitForResponse((r) => r.url().includes('/api/register') && r.request().method() === 'POST');
    await form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click();
    const r = await posted;
    assert.ok([201, 303].includes(r.status()), `POST answered ${r.status()}`);
    await page.waitForLoadState('load');
    if (new URL(page.url()).pathname !== '/join/thanks/') {
      // Stayed on the page: the script must say so where a screen reader hears it.
      const said = page.locator('[role="status"], [role="alert"], [aria-live]').filter({ hasText: /thank|received|registered/i });
      await said.first().waitFor({ state: 'visible', timeout: 5000 });
    }
    await ctx.close();
  });

  test('JSON: 201 with an id; a repeat with the same email answers the same; 422 per field', async () => {
    const body = {
      name: 'Jo Example',
      email: `jo.${uniq()}@example.org`,
      city: 'Valladolid',
      country: 'ES',
      organisation: 'Ayuntamiento',
      position: 'Engineer',
      city_status: 'lighthouse',
      project: 'REMOURBAN',
      consent: 'yes',
      website: '',
    };
    const first = await jsonPost('register', body);
    assert.equal(first.status, 201, first.text);
    assert.ok(first.json && (typeof first.json.id === 'string' || typeof first.json.id === 'number'), `no id in ${first.text}`);
    const again = await jsonPost('register', { ...body, email: body.email.toUpperCase(), position: 'Head of unit' });
    assert.equal(again.status, 201, again.text);
    assert.deepEqual(Object.keys(again.json).sort(), Object.keys(first.json).sort(), 'a repeat must not reveal the address was known');

    const bad = await jsonPost('register', { ...body, email: 'nope', country: 'XX', city_status: 'mayor', consent: '', name: '' });
    assert.equal(bad.status, 422, bad.text);
    const names = namesIn(bad.json);
    for (const f of ['email', 'country', 'city_status', 'consent', 'name']) assert.ok(names.has(f), `422 does not name ${f}: ${bad.text}`);
    assert.ok(!names.has('organisation'), `422 names a valid field: ${bad.text}`);
  });
});

describe('travel claims (/financial-support/)', { timeout: 300_000 }, () => {
  let page; // the claim form read once, JavaScript off
  let ctx;
  let event; // content event chosen from the form's options
  let cities; // qualifying cities offered by the form, each used once per test
  const takeCity = () => {
    const c = cities.shift();
    assert.ok(c, 'ran out of qualifying cities offered by the form');
    return c;
  };

  before(async () => {
    ctx = await browser.newContext({ javaScriptEnabled: false });
    page = await ctx.newPage();
    await page.goto(`${serve.base}/financial-support/`);
    const form = formOf(page, 'travel-claims');
    assert.equal(await form.count(), 1, '/financial-support/ has no form posting to .../travel-claims');
    const offered = await optionsOf(form, 'event');
    assert.ok(offered?.length > 0, 'the claim form offers no event');
    const byId = new Map(contentEvents().map((e) => [e.id, e]));
    const eligible = new Set(eligibleEvents().map((e) => e.id));
    for (const o of offered) {
      assert.ok(byId.has(o.value), `the form offers event ${o.value}, which is not in content/events`);
      assert.ok(eligible.has(o.value), `the form offers ${o.value}, which is not eligible (physical, announced, not cancelled)`);
    }
    event = byId.get(offered[0].value);
    const cityOptions = await optionsOf(form, 'city');
    assert.ok(cityOptions?.length > 0, 'the claim form offers no city');
    for (const o of cityOptions) {
      const recs = cityRecords(o);
      assert.ok(recs.length > 0, `the form offers city ${JSON.stringify(o)}, which is not in the SCC data`);
      assert.ok(!recs.every((r) => r.role === 'observer'), `the form offers the observer city ${o.text}`);
    }
    cities = qualifyingCities(cityOptions, event.start.slice(0, 10));
    assert.ok(cities.length >= 8, `only ${cities.length} offered cities qualify for ${event.id}`);
  });

  after(async () => ctx?.close());

  const claimBody = (city, extra = {}) => ({
    name: 'Piet Example',
    email: `piet.${uniq()}@example.org`,
    city: city.name,
    country: city.country,
    event: event.id,
    travel_start: event.start.slice(0, 10),
    travel_end: event.end.slice(0, 10),
    amount_eur: '412.50',
    transport_eur: '300.00',
    accommodation_eur: '112.50',
    consent: 'yes',
    website: '',
    ...extra,
  });

  async function fillClaim(p, city, values) {
    const form = formOf(p, 'travel-claims');
    for (const [k, v] of Object.entries(values)) {
      if (k === 'city') {
        const sel = (await form.locator('select[name="city"]').count()) > 0;
        await setField(form, 'city', sel ? city.option.value : city.name);
      } else if (k === 'consent') await setField(form, 'consent', 'yes');
      else if (k === 'website') continue;
      else await setField(form, k, v);
    }
    assert.deepEqual(await emptyRequired(form), [], 'required fields the test did not fill');
    return form;
  }

  test('with JavaScript off: an invalid email and an amount over the per-trip limit come back naming both', async () => {
    await page.goto(`${serve.base}/financial-support/`);
    const city = takeCity();
    const over = RULES.maxPerTripCents + 1000;
    const form = await fillClaim(page, city, claimBody(city, { email: 'not-an-email', amount_eur: euros(over), transport_eur: euros(over), accommodation_eur: '0.00' }));
    await form.evaluate((f) => f.setAttribute('novalidate', ''));
    const resp = await submit(page, form);
    await keepAnswer('claim with a bad email and amount', page, resp);
    const text = await page.locator('body').innerText();
    assert.ok(resp.status() >= 400 && resp.status() < 500, `status ${resp.status()} at ${page.url()}: ${text.slice(0, 300)}`);
    assert.notEqual(new URL(page.url()).pathname, '/financial-support/thanks/');
    assert.match(text, /e-?mail/i, `the error page does not name the email field:\n${text}`);
    assert.match(text, /amount/i, `the error page does not name the amount:\n${text}`);
    assert.ok(text.includes(euros(RULES.maxPerTripCents).replace(/\.00$/, '')), `the error page does not say the limit (${RULES.maxPerTripCents / 100} EUR):\n${text}`);
    // The city has not used a trip: a valid claim for it still goes through.
    cities.unshift(city);
  });

  test('with JavaScript off: a claim over the per-trip limit is refused on a page that says the limit', async () => {
    await page.goto(`${serve.base}/financial-support/`);
    const city = takeCity();
    const over = RULES.maxPerTripCents + 1;
    const form = await fillClaim(page, city, claimBody(city, { amount_eur: euros(over), transport_eur: euros(over), accommodation_eur: '0.00' }));
    const resp = await submit(page, form);
    await keepAnswer('claim over the per-trip limit', page, resp);
    const text = await page.locator('body').innerText();
    assert.ok(resp.status() >= 400 && resp.status() < 500, `status ${resp.status()} at ${page.url()}: ${text.slice(0, 300)}`);
    assert.match(text, /amount|limit/i, text);
    assert.ok(text.includes(euros(RULES.maxPerTripCents).replace(/\.00$/, '')), `the page does not say the limit (${RULES.maxPerTripCents / 100} EUR):\n${text}`);
    cities.unshift(city); // refused: nothing used
  });

  test('with JavaScript off: a valid claim for an offered event and city lands on /financial-support/thanks/', async () => {
    await page.goto(`${serve.base}/financial-support/`);
    const city = takeCity();
    const form = await fillClaim(page, city, claimBody(city));
    const resp = await submit(page, form);
    const text = await page.locator('body').innerText();
    assert.equal(new URL(page.url()).pathname, '/financial-support/thanks/', `landed on ${page.url()} (status ${resp.status()}):\n${text.slice(0, 600)}`);
    // The same claim again is refused: it was stored.
    const dup = await jsonPost('travel-claims', claimBody(city));
    assert.equal(dup.status, 409, dup.text);
    assert.ok(namesIn(dup.json).has('duplicate_claim'), dup.text);
  });

  test('with JavaScript on: the enhanced form (if any) also succeeds', async () => {
    const jsCtx = await browser.newContext();
    const p = await jsCtx.newPage();
    await p.goto(`${serve.base}/financial-support/`);
    const city = takeCity();
    const form = await fillClaim(p, city, claimBody(city));
    const posted = p.waitForResponse((r) => r.url().includes('/api/travel-claims') && r.request().method() === 'POST');
    await form.locator('button[type="submit"], input[type="submit"], button:not([type])').first().click();
    const r = await posted;
    assert.ok([201, 303].includes(r.status()), `POST answered ${r.status()}: ${await r.text().catch(() => '')}`);
    await p.waitForLoadState('load');
    if (new URL(p.url()).pathname !== '/financial-support/thanks/') {
      const said = p.locator('[role="status"], [role="alert"], [aria-live]').filter({ hasText: /thank|received|recorded/i });
      await said.first().waitFor({ state: 'visible', timeout: 5000 });
    }
    await jsCtx.close();
  });

  test('JSON: 201 with an id and what the city has left this year', async () => {
    const city = takeCity();
    const r = await jsonPost('travel-claims', claimBody(city));
    assert.equal(r.status, 201, r.text);
    assert.ok(r.json?.id !== undefined && r.json.id !== '', `no id: ${r.text}`);
    const rem = remainingOf(r.json);
    assert.ok(rem, `no remaining allowance in ${r.text}`);
    assert.deepEqual(readRemaining(rem), { trips: RULES.maxTripsPerYear - 1, cents: RULES.maxPerYearCents - 41250 }, r.text);
  });

  test('JSON: 422 names each bad field', async () => {
    const city = takeCity();
    const r = await jsonPost('travel-claims', claimBody(city, { email: 'x', amount_eur: '12.345', travel_start: '2027-02-30', consent: '' }));
    assert.equal(r.status, 422, r.text);
    const names = namesIn(r.json);
    for (const f of ['email', 'amount_eur', 'travel_start', 'consent']) assert.ok(names.has(f), `422 does not name ${f}: ${r.text}`);
    assert.ok(!names.has('country'), `422 names a valid field: ${r.text}`);
    cities.push(city); // nothing was stored
  });

  test('JSON: 409 with the reason code for each rule', async () => {
    const rules = [];
    const expect409 = async (what, body, code) => {
      const r = await jsonPost('travel-claims', body);
      rules.push(`${what}: ${r.status} ${r.text}`);
      assert.equal(r.status, 409, `${what}: ${r.text}`);
      assert.ok(namesIn(r.json).has(code), `${what}: expected reason ${code}: ${r.text}`);
    };
    const c1 = takeCity();
    await expect409('over the per-trip limit', claimBody(c1, { amount_eur: euros(RULES.maxPerTripCents + 1), transport_eur: euros(RULES.maxPerTripCents + 1), accommodation_eur: '0.00' }), 'over_per_trip_limit');
    const observer = sccCities().find((c) => c.role === 'observer');
    await expect409('an observer city', claimBody({ name: observer.name, country: observer.country }), 'city_not_eligible');
    const launch = contentEvents().find((e) => e.id === 'ccg-2021-10-launch');
    await expect409('a virtual event', claimBody(c1, { event: launch.id, travel_start: '2021-10-07', travel_end: '2021-10-07' }), 'event_not_eligible');
    const cancelled = contentEvents().find((e) => e.status === 'cancelled' && e.format === 'physical');
    if (cancelled) {
      await expect409('a cancelled event', claimBody(c1, { event: cancelled.id, travel_start: cancelled.start.slice(0, 10), travel_end: cancelled.end.slice(0, 10) }), 'event_not_eligible');
    }
    const ok = await jsonPost('travel-claims', claimBody(c1));
    assert.equal(ok.status, 201, `after the refusals the city has all its trips: ${ok.text}`);
    await expect409('the same city and event again', claimBody(c1), 'duplicate_claim');
  });

  test('JSON: the yearly trip limit holds across events of one year', async (t) => {
    const year = event.start.slice(0, 4);
    const sameYear = eligibleEvents().filter((e) => e.start.startsWith(year));
    if (sameYear.length <= RULES.maxTripsPerYear) {
      t.skip(`only ${sameYear.length} eligible events in ${year}: the limit of ${RULES.maxTripsPerYear} trips cannot be reached`);
      return;
    }
    const city = takeCity();
    for (const [i, e] of sameYear.entries()) {
      const r = await jsonPost('travel-claims', claimBody(city, { event: e.id, travel_start: e.start.slice(0, 10), travel_end: e.end.slice(0, 10), amount_eur: '100.00', transport_eur: '100.00', accommodation_eur: '0.00' }));
      if (i < RULES.maxTripsPerYear) assert.equal(r.status, 201, r.text);
      else {
        assert.equal(r.status, 409, r.text);
        assert.ok(namesIn(r.json).has('over_yearly_trips'), r.text);
      }
    }
  });

  test('JSON: a retry with the same Idempotency-Key returns the first answer and stores once', async () => {
    const city = takeCity();
    const key = `e2e-${uniq()}`;
    const body = claimBody(city);
    const first = await jsonPost('travel-claims', body, { 'idempotency-key': key });
    assert.equal(first.status, 201, first.text);
    const retry = await jsonPost('travel-claims', body, { 'idempotency-key': key });
    assert.equal(retry.status, first.status);
    assert.deepEqual(retry.json, first.json);
    // Stored once: the city has used exactly one trip.
    const year = event.start.slice(0, 4);
    const other = eligibleEvents().find((e) => e.id !== event.id && e.start.startsWith(year));
    if (other) {
      const next = await jsonPost('travel-claims', claimBody(city, { event: other.id, travel_start: other.start.slice(0, 10), travel_end: other.end.slice(0, 10) }));
      assert.equal(next.status, 201, next.text);
      assert.equal(readRemaining(remainingOf(next.json)).trips, RULES.maxTripsPerYear - 2, next.text);
    }
    const reg = { name: 'Idem Potent', email: `idem.${uniq()}@example.org`, city: 'Seraing', country: 'BE', organisation: 'City', position: 'Officer', city_status: 'fellow', project: '', consent: 'yes', website: '' };
    const r1 = await jsonPost('register', reg, { 'idempotency-key': key });
    const r2 = await jsonPost('register', reg, { 'idempotency-key': key });
    assert.equal(r1.status, 201, r1.text);
    assert.equal(r2.status, 201);
    assert.deepEqual(r2.json, r1.json);
  });

  test('bad requests get a clear 4xx, never a 5xx', async () => {
    const city = takeCity();
    const url = `${serve.base}/api/travel-claims`;
    const cases = [
      ['text/plain body', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }],
      ['body over 16 KiB', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(claimBody(city, { name: 'x'.repeat(17 * 1024) })) }],
      ['invalid UTF-8', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xff, 0xfe]) }],
      ['broken JSON', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' }],
      ['GET', { method: 'GET' }],
      ['DELETE', { method: 'DELETE' }],
    ];
    const got = [];
    for (const [what, init] of cases) {
      const r = await fetch(url, init);
      const text = await r.text();
      got.push(`${what}: ${r.status}`);
      if ((r.headers.get('content-type') ?? '').startsWith('text/html')) answerPages.push({ name: `claim endpoint, ${what}`, url, status: r.status, html: text });
      assert.ok(r.status >= 400 && r.status < 500, `${what}: ${r.status} ${text.slice(0, 200)}`);
      assert.ok(text.length > 0, `${what}: empty answer`);
    }
    cities.push(city);
  });

  test('claims survive a restart of serve (the embedded store persists)', async () => {
    const city = takeCity();
    const first = await jsonPost('travel-claims', claimBody(city));
    assert.equal(first.status, 201, first.text);
    await serve.stop();
    serve = await startServe({ dataDir });
    const again = await jsonPost('travel-claims', claimBody(city));
    assert.equal(again.status, 409, again.text);
    assert.ok(namesIn(again.json).has('duplicate_claim'), again.text);
  });
});

test('the pages the forms answer with are valid HTML without WCAG A/AA violations', { timeout: 300_000 }, async () => {
  assert.ok(answerPages.length >= 3, `only ${answerPages.length} answer pages were collected`);
  const dir = tempDir('answers');
  try {
    const files = new Map();
    answerPages.forEach((a, i) => {
      mkdirSync(dir, { recursive: true });
      const f = join(dir, `answer-${i}.html`);
      writeFileSync(f, a.html);
      files.set(f, `${a.name} (${a.status})`);
    });
    const htmlErrors = vnuErrors(files);
    assert.deepEqual(htmlErrors, []);
  } finally {
    cleanup(dir);
  }
  // axe needs JavaScript: replay each answer at its own address so its CSS loads as it did.
  const ctx = await browser.newContext();
  const violations = [];
  for (const a of answerPages) {
    const p = await ctx.newPage();
    await p.route(a.url, (route) => route.fulfill({ status: a.status, contentType: 'text/html; charset=utf-8', body: a.html }));
    await p.goto(a.url);
    violations.push(...(await axeViolations(p, a.name)));
    await p.close();
  }
  await ctx.close();
  assert.deepEqual(violations, []);
});
