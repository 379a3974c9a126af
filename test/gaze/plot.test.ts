import test from 'ava';
import { fixationRadius, imageInfo, labelColour, renderScanPathSvg, type Aoi, type Fixation } from '../../src/gaze/index.ts';

// A 1×1 PNG and the first bytes of a JPEG whose SOF0 says 640×480.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0xe0, 0x02, 0x80, 0x03, 0, 0, 0, 0, 0, 0]);

test('imageInfo reads PNG and JPEG sizes', (t) => {
  t.deepEqual(imageInfo(PNG), { width: 1, height: 1, mime: 'image/png' });
  t.deepEqual(imageInfo(JPEG), { width: 640, height: 480, mime: 'image/jpeg' });
  t.is(imageInfo(Buffer.from('not an image')), null);
});

test('SVG plot: embedded image, numbered circles sized by duration, saccade polyline, visited boxes tinted by label', (t) => {
  const fx = (i: number, x: number, durationMs: number): Fixation => ({ stimulus: 's', startMs: i * 300, endMs: i * 300 + durationMs, durationMs, x, y: 50 });
  const aois: Aoi[] = [
    { id: 0, x: 0, y: 40, width: 40, height: 20, text: 'int', line: 1, part: 1, name: 'line 1 part 1', image: null },
    { id: 1, x: 50, y: 40, width: 40, height: 20, text: 'x<1', line: 1, part: 2, name: 'line 1 part 2', image: null },
  ];
  const svg = renderScanPathSvg({
    image: JPEG,
    fixations: [fx(0, 10, 100), fx(1, 60, 400)],
    aois,
    scanPath: { participant: 'p', stimulus: 's', mode: 'reading', tokens: [{ id: 0, text: 'int', label: 'loop', line: 1 }, { id: 1, text: 'x<1', label: null, line: 1 }], visits: [0] },
    title: 'p & s',
  });
  t.regex(svg, /<svg [^>]*width="640" height="480"/);
  t.regex(svg, /href="data:image\/jpeg;base64,/);
  t.regex(svg, /<polyline id="saccades" points="10,50 60,50"/);
  t.regex(svg, new RegExp(`<circle cx="10" cy="50" r="${Math.round(fixationRadius(100) * 10) / 10}"`));
  t.regex(svg, new RegExp(`<circle cx="60" cy="50" r="${Math.round(fixationRadius(400) * 10) / 10}"`));
  t.true(Math.abs(fixationRadius(400) - 2 * fixationRadius(100)) < 1e-9); // area ∝ duration
  t.regex(svg, />1<\/text>/);
  t.regex(svg, />2<\/text>/);
  t.regex(svg, new RegExp(`<rect x="0" y="40" width="40" height="20" fill="${labelColour('loop')}"`));
  t.regex(svg, /<rect x="50" y="40" width="40" height="20" fill="none"/);
  t.regex(svg, /x&lt;1/); // text is escaped
  t.regex(svg, /<title>p &amp; s<\/title>/);
});
