/**
 * The review page in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser), against `startLocalReview` over a temporary store built from the demo model's samples.
 * A reviewer signs in with the link, filters to one line, reviews three images with the keyboard only,
 * corrects a box with the mouse, undoes that, draws a box with a finger, and the decision store holds
 * exactly the labels given; a decision someone else stored meanwhile makes the page's a conflict.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Inspection } from '@edgeqc/edge-component/contracts';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalJsonDecisionStore } from '../../src/adapters/local-json-decision-store.ts';
import { currentDecision, decide } from '../../src/domain/index.ts';
import { type LocalReview, startLocalReview } from '../../src/local-review.ts';
import { writeFixtureStore } from '../helpers/fixture-store.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let root: string;
let profile: string;
let review: LocalReview;
let context: BrowserContext;
let page: Page;
let messages: Inspection[];
const file = (name: string) => messages.find((m) => m.image.file === name)!;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgeqc-review-page-'));
  profile = await mkdtemp(join(tmpdir(), 'edgeqc-review-chromium-'));
  messages = await writeFixtureStore(root, [
    { sample: 'scratch-01.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T10:04:00.000Z' },
    { sample: 'scratch-02.jpg', thingName: 'line-1-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T10:03:00.000Z' },
    { sample: 'scratch-03.jpg', thingName: 'line-1-cam-2', verdict: 'defect', capturedAt: '2026-12-01T10:02:00.000Z' },
    { sample: 'scratch-05.jpg', thingName: 'line-1-cam-2', verdict: 'unclear', capturedAt: '2026-12-01T10:01:00.000Z' },
    { sample: 'scratch-06.png', thingName: 'line-2-cam-1', verdict: 'unclear', capturedAt: '2026-12-01T10:05:00.000Z' },
    { sample: 'clean-01.jpg', thingName: 'line-2-cam-1', verdict: 'ok', capturedAt: '2026-12-01T10:06:00.000Z' },
  ]);
  review = await startLocalReview({ store: root, port: 0, reviewer: 'tester' });
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    hasTouch: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  // Generous: the machine running the suite may be busy.
  page.setDefaultTimeout(45_000);
}, 60_000);

afterAll(async () => {
  await context?.close();
  await review?.close();
  await rm(root, { recursive: true, force: true });
  await rm(profile, { recursive: true, force: true });
});

/** Waits until the aria-live region says `text`. */
async function announced(text: string): Promise<void> {
  const said = () => page.locator('[data-testid="announcer"]').textContent();
  await page
    .waitForFunction(
      (t) => document.querySelector('[data-testid="announcer"]')?.textContent?.includes(t) === true,
      text,
      { timeout: 30_000 },
    )
    .catch(async (err: unknown) => {
      throw new Error(`the page did not announce '${text}'; it says '${await said()}'`, { cause: err });
    });
}

/** Waits until the editor shows this image file. */
async function showing(name: string): Promise<void> {
  await page.locator('figcaption', { hasText: name }).waitFor({ timeout: 30_000 });
}

async function listedFiles(): Promise<string[]> {
  return page.locator('.items .file').allTextContents();
}

it('reviews with the keyboard and the mouse, undoes, and stores the labels given', { timeout: 90_000 }, async () => {
  await page.goto(review.signInUrl);
  await page.getByText('Reviewing as tester').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('.items .file').length === 6);
  expect(await listedFiles()).toEqual([
    'clean-01.jpg',
    'scratch-06.png',
    'scratch-01.jpg',
    'scratch-02.jpg',
    'scratch-03.jpg',
    'scratch-05.jpg',
  ]);

  // Filter to line 1 (its two devices share the prefix): Enter applies it. Escape leaves the field for
  // the shortcuts; with the field's suggestions open, the first Escape closes them, as for a user.
  await page.getByLabel('Line or device').fill('line-1');
  await page.getByLabel('Line or device').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('.items .file').length === 4);
  await expect
    .poll(
      async () => {
        const inField = await page.evaluate(() => Boolean(document.activeElement?.closest('form')));
        if (inField) await page.keyboard.press('Escape');
        return inField;
      },
      { timeout: 30_000 },
    )
    .toBe(false);
  expect(await listedFiles()).toEqual(['scratch-01.jpg', 'scratch-02.jpg', 'scratch-03.jpg', 'scratch-05.jpg']);

  // 1: ok with the keyboard.
  await showing('scratch-01.jpg');
  await page.keyboard.press('o');
  await announced('Decided ok for scratch-01.jpg');

  // 2: defect with the model's boxes as they are.
  await showing('scratch-02.jpg');
  await page.keyboard.press('d');
  await announced('Decided defect for scratch-02.jpg');

  // 3: keyboard box editing: delete the model's first box, add one, move it right, decide defect.
  await showing('scratch-03.jpg');
  await page.keyboard.press(']');
  await page.keyboard.press('x');
  await announced('Box 1 deleted');
  await page.keyboard.press('b');
  await announced('added in the middle');
  await page.keyboard.press('Alt+ArrowRight');
  await page.keyboard.press('Alt+ArrowRight');
  await page.keyboard.press('d');
  await announced('Decided defect for scratch-03.jpg');

  // 4: correct a box with the mouse (drag it right and down), decide defect, then undo that.
  await showing('scratch-05.jpg');
  const box = page.locator('.stage .box rect').first();
  const before = (await box.boundingBox())!;
  await page.mouse.move(before.x + before.width / 2, before.y + before.height / 2);
  await page.mouse.down();
  await page.mouse.move(before.x + before.width / 2 + 40, before.y + before.height / 2 + 20, { steps: 5 });
  await page.mouse.up();
  const after = (await box.boundingBox())!;
  expect(after.x).toBeGreaterThan(before.x + 30);
  await page.keyboard.press('d');
  await announced('Decided defect for scratch-05.jpg');
  await page.waitForFunction(() => document.querySelector('[data-count="done"]')?.textContent === '4');

  await page.keyboard.press('u');
  await announced('Undone: your last decision on scratch-05.jpg');
  await page.waitForFunction(() => document.querySelector('[data-count="done"]')?.textContent === '3');
  await showing('scratch-05.jpg');

  // A finger draws a box too (a tablet): touch events through the DevTools protocol become pointer events.
  const count = await page.locator('.stage .box').count();
  const cdp = await context.newCDPSession(page);
  // From 5 % to 20 % of the image's width and height (clear of scratch-05's one box), in screen pixels.
  const at = async (fx: number, fy: number) => [
    await page.evaluate(
      ([x, y]) => {
        const svg = document.querySelector('svg.stage') as SVGSVGElement;
        const [, , w, h] = svg.getAttribute('viewBox')!.split(' ').map(Number);
        const p = new DOMPoint(x! * w!, y! * h!).matrixTransform(svg.getScreenCTM()!);
        return { x: p.x, y: p.y };
      },
      [fx, fy],
    ),
  ];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: await at(0.05, 0.05) });
  for (const f of [0.08, 0.12, 0.16, 0.2]) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: await at(f, f) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await page.waitForFunction((n) => document.querySelectorAll('.stage .box').length === n + 1, count);

  // The decision store holds the labels as given.
  const store = new LocalJsonDecisionStore(root);
  const decided = async (name: string) => {
    const r = await store.get(file(name).messageId);
    return { record: r!, decision: r && currentDecision(r) };
  };
  expect((await decided('scratch-01.jpg')).decision).toMatchObject({
    verdict: 'ok',
    boxes: [],
    reviewer: { name: 'tester' },
  });
  const second = (await decided('scratch-02.jpg')).decision!;
  expect(second.verdict).toBe('defect');
  expect(second.boxes).toEqual(file('scratch-02.jpg').detections.map((d) => ({ ...d.box, label: 'scratch' })));
  const third = (await decided('scratch-03.jpg')).decision!;
  const model3 = file('scratch-03.jpg').detections;
  expect(third.boxes).toHaveLength(model3.length);
  expect(third.boxes.slice(0, -1)).toEqual(model3.slice(1).map((d) => ({ ...d.box, label: 'scratch' })));
  const added = third.boxes.at(-1)!;
  expect(added.x).toBeGreaterThan(file('scratch-03.jpg').image.width / 2 - added.width / 2);
  const fourth = await decided('scratch-05.jpg');
  expect(fourth.decision).toBeUndefined();
  expect(fourth.record.log.map((e) => e.kind)).toEqual(['decided', 'undone']);
  const moved = fourth.record.log[0]?.kind === 'decided' ? fourth.record.log[0].decision.boxes[0]! : undefined;
  expect(moved!.x).toBeGreaterThan(file('scratch-05.jpg').detections[0]!.box.x + 10);
  expect(await store.get(file('scratch-06.png').messageId)).toBeUndefined();

  // Someone else decides scratch-05 while it is on screen: the page's decision is a conflict, and says so.
  const theirs = decide(fourth.record, {
    messageId: file('scratch-05.jpg').messageId,
    subject: fourth.record.subject,
    verdict: 'ok',
    boxes: [],
    reviewer: { id: 'local:sam', name: 'sam' },
    at: new Date().toISOString(),
    actionId: 'sam-1',
    expectedRevision: fourth.record.revision,
  });
  if (theirs.kind !== 'changed') throw new Error('expected a change');
  expect((await store.put(theirs.record, fourth.record.revision)).kind).toBe('stored');
  await page.keyboard.press('d');
  await announced('Conflict: sam decided scratch-05.jpg meanwhile');
  const kept = currentDecision((await store.get(file('scratch-05.jpg').messageId))!);
  expect(kept).toMatchObject({ verdict: 'ok', reviewer: { name: 'sam' } });
});
