import test from 'ava';
import { implausibleBoxes, readAois, readingOrder, stimulusOfAoiFile } from '../../src/gaze/index.ts';
import { InputError } from '../../src/util/errors.ts';
import { tempDir, tempFile } from './helpers.ts';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

const EMIP_STYLE = [
  'kind,name,x,y,width,height,local_id,image,token',
  'line,line 1,500,100,300,20,,rectangle_java2.jpg,',
  'sub-line,line 1 part 1,500,100,60,20,,rectangle_java2.jpg,public',
  'sub-line,line 1 part 2,570,100,5,20,,rectangle_java2.jpg,","',
  'sub-line,line 2 part 1,520,140,30,20,,rectangle_java2.jpg,"a""b"',
].join('\n');

test('EMIP AOI layout: sub-line rows are token boxes, quoted tokens, line rows skipped and counted', async (t) => {
  const f = await readAois(tempFile('aois_rectangle_java2.csv', EMIP_STYLE));
  t.is(f.aois.length, 3);
  t.is(f.skippedRows, 1);
  t.true(f.hasText);
  t.deepEqual(f.aois.map((a) => [a.id, a.text, a.line, a.part, a.x, a.width]), [
    [0, 'public', 1, 1, 500, 60],
    [1, ',', 1, 2, 570, 5],
    [2, 'a"b', 2, 1, 520, 30],
  ]);
  t.is(stimulusOfAoiFile(f), 'rectangle_java2.jpg');
});

test('AOI files without a token column or line names: text null, lines by position, stimulus from the image column', async (t) => {
  const dir = tempDir();
  const file = join(dir, 'boxes.csv');
  writeFileSync(file, ['x,y,width,height,image', '200,100,20,16,v.jpg', '100,102,50,16,v.jpg', '100,140,40,16,v.jpg', '160,141,10,16,w.jpg'].join('\n'));
  const f = await readAois(file);
  t.false(f.hasText);
  t.deepEqual(f.aois.map((a) => [a.id, a.line, a.part]), [[0, 1, 2], [1, 1, 1], [2, 2, 1], [3, 2, 2]]);
  t.deepEqual(readingOrder(f.aois).map((a) => a.id), [1, 0, 2, 3]);
  t.is(stimulusOfAoiFile(f), 'v.jpg');
});

test('AOI reader errors name file:line', async (t) => {
  const bad = tempFile('a.csv', ['kind,name,x,y,width,height,local_id,image,token', 'sub-line,line 1 part 1,5o0,100,60,20,,r.jpg,public'].join('\n'));
  t.regex((await t.throwsAsync(readAois(bad), { instanceOf: InputError }))!.message, /a\.csv:2: x "5o0" is not a number/);
  const neg = tempFile('n.csv', ['x,y,width,height', '1,1,-4,3'].join('\n'));
  t.regex((await t.throwsAsync(readAois(neg)))!.message, /n\.csv:2: negative box size/);
  const noCols = tempFile('c.csv', 'a,b\n');
  t.regex((await t.throwsAsync(readAois(noCols)))!.message, /c\.csv:1: AOI header must name x, y, width, height/);
});

test('implausibleBoxes flags boxes whose width does not fit their text', (t) => {
  const mk = (id: number, text: string, width: number) => ({ id, x: 0, y: 0, width, height: 16, text, line: 1, part: id + 1, name: `b${id}`, image: null });
  const aois = [mk(0, 'public', 58), mk(1, 'int', 28), mk(2, 'width', 49), mk(3, '-', 65), mk(4, 'this.x1', 5), mk(5, 'return', 58)];
  t.deepEqual(implausibleBoxes(aois).map((a) => a.id), [3, 4]);
});
