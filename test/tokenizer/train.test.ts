import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from 'tokenizers';
import yargs from 'yargs';
import { parseSpecials, saveTrainedTokenizer, tokenizerJson, trainBpe, trainTokenizer } from '../../src/tokenizer/index.ts';
import { bytesToUnicode } from '../../src/tokenizer/byte.ts';
import tokenizerCommand from '../../src/cli/commands/tokenizer.ts';
import { InputError, OptionError } from '../../src/util/errors.ts';
import { tempDir } from '../helpers/tiny-model.ts';

const CORPUS = [
  'public int getValue() { return value; }',
  'public void setValue(int value) { this.value = value; }',
  'public override string ToString() { return Pattern(); }',
  'public static void main(String[] args) { System.out.println("héllo wörld"); }',
  'private final Map<String, List<Integer>> cache = new HashMap<>();',
  'if (x != null && x.size() > 0) { return x.get(0); } else { throw new IllegalStateException(); }',
  'for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }',
  '\t// naïve 日本語 comment with emoji 😀 and tabs\t\tend',
];

function corpusFile(lines: readonly string[], name = 'corpus.txt'): string {
  const dir = tempDir();
  const f = join(dir, name);
  writeFileSync(f, lines.join('\n') + '\n');
  return f;
}

/** The corpus repeated with numbered variations, so that there are many frequent pairs. */
function bigCorpus(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 40; i++) for (const l of CORPUS) out.push(l.replace('value', `value${i}`));
  return out;
}

async function trainedTokenizer(vocabSize: number, lines = bigCorpus()): Promise<{ tok: Tokenizer; path: string }> {
  const f = corpusFile(lines);
  const t = await trainTokenizer([f], { vocabSize });
  const out = join(tempDir(), 'tok', 'tokenizer.json');
  saveTrainedTokenizer(t, out);
  return { tok: Tokenizer.fromFile(out), path: out };
}

test('trainBpe merges the most frequent pair first, ties to the smaller ids, and counts runs without overlap', (t) => {
  const sym = bytesToUnicode();
  const w = (s: string) => [...Buffer.from(s, 'utf8')].map((b) => sym[b]).join('');
  const words = new Map([[w('ab'), 5], [w('abc'), 3], [w('aaaa'), 1], [w('aaa'), 1]]);
  const m = trainBpe(words, { vocabSize: 257 + 3, minFrequency: 1, specialTokens: ['<s>'] });
  // (a,b): 8; then (ab,c): 3 vs (a,a): 2 + 1 = 3 → tie broken by smaller left id: a (98) < ab (257)
  t.deepEqual(m.merges, [['a', 'b'], ['a', 'a'], ['ab', 'c']]);
  t.deepEqual(m.tokens.slice(257), ['ab', 'aa', 'abc']);
  t.is(m.tokens[0], '<s>');
  t.is(m.tokens[1 + 0x41], 'A'); // byte 0x41 at id k + 0x41
  t.is(m.stoppedBy, 'vocab-size');
});

test('trainBpe stops at min-frequency and reports why', (t) => {
  const m = trainBpe(new Map([['abc', 1], ['xyz', 1]]), { vocabSize: 400, minFrequency: 2, specialTokens: [] });
  t.is(m.merges.length, 0);
  t.is(m.tokens.length, 256);
  t.is(m.stoppedBy, 'min-frequency');
  const m2 = trainBpe(new Map([['ab', 1]]), { vocabSize: 400, minFrequency: 1, specialTokens: [] });
  t.deepEqual(m2.merges, [['a', 'b']]);
  t.is(m2.stoppedBy, 'no-pairs');
});

test('trainBpe rejects a vocabulary smaller than specials + bytes, and bad options', (t) => {
  t.throws(() => trainBpe(new Map(), { vocabSize: 258, specialTokens: ['<a>', '<b>', '<c>'] }), { instanceOf: OptionError, message: /≥ 259/ });
  t.throws(() => trainBpe(new Map(), { vocabSize: 300, specialTokens: ['<a>', '<a>'] }), { instanceOf: OptionError });
  t.throws(() => trainBpe(new Map(), { vocabSize: 300, minFrequency: 0 }), { instanceOf: OptionError });
  t.throws(() => trainBpe(new Map([['a b', 2]]), { vocabSize: 300 }), { instanceOf: OptionError, message: /not a byte-level symbol/ });
});

test('a trained tokenizer.json loads in HF tokenizers with the requested vocab size and special tokens at fixed ids', async (t) => {
  const { tok, path } = await trainedTokenizer(300);
  t.is(tok.getVocabSize(true), 300);
  t.is(tok.tokenToId('<|bos|>'), 0);
  t.is(tok.tokenToId('<|eos|>'), 1);
  t.is(tok.tokenToId('<|pad|>'), 2);
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  t.is(doc.model.type, 'BPE');
  t.is(doc.pre_tokenizer.type, 'ByteLevel');
  t.is(doc.decoder.type, 'ByteLevel');
  t.is(Object.keys(doc.model.vocab).length, 300);
  t.deepEqual(doc.added_tokens.map((a: { id: number; content: string; special: boolean }) => [a.id, a.content, a.special]), [
    [0, '<|bos|>', true], [1, '<|eos|>', true], [2, '<|pad|>', true],
  ]);
  const cfg = JSON.parse(readFileSync(join(path, '..', 'tokenizer_config.json'), 'utf8'));
  t.like(cfg, { bos_token: '<|bos|>', eos_token: '<|eos|>', pad_token: '<|pad|>', tokenizer_class: 'PreTrainedTokenizerFast' });
  // merges actually shorten frequent code
  const enc = await tok.encode('public int getValue() { return value; }', null, { addSpecialTokens: false });
  t.true(enc.getIds().length < 'public int getValue() { return value; }'.length / 2);
  // special tokens are never split
  const sp = await tok.encode('<|bos|>x<|eos|>', null, { addSpecialTokens: false });
  t.deepEqual([sp.getIds()[0], sp.getIds().at(-1)], [0, 1]);
});

test('encode → decode round-trips arbitrary text, non-ASCII included, and offsets are code points', async (t) => {
  const { tok } = await trainedTokenizer(320);
  const texts = [
    'public int getValue() { return value; }',
    'naïve café — 日本語のテキスト 😀👍🏽 \u0000\u0085\u00a0 \r\n\ttab',
    'x'.repeat(50) + '   ' + '\n\n\n' + 'ü'.repeat(7),
    '🎉',
    ' leading and trailing spaces  ',
  ];
  for (const text of texts) {
    const enc = await tok.encode(text, null, { addSpecialTokens: false });
    t.is(await tok.decode(enc.getIds(), false), text, JSON.stringify(text));
    const cps = [...text];
    const offs = enc.getOffsets();
    // pieces tile the text in code points: consecutive, from 0 to the code-point length
    let covered = 0;
    for (const [s, e] of offs) {
      t.true(s <= e && e <= cps.length, `offset [${s}, ${e}) within ${cps.length} code points`);
      if (s >= covered) covered = e;
    }
    t.is(covered, cps.length, JSON.stringify(text));
    // a token that is whole characters decodes to exactly the code-point slice its offsets name
    const toks = enc.getIds();
    for (let i = 0; i < toks.length; i++) {
      const piece = await tok.decode([toks[i]], false);
      if (piece.includes('\ufffd')) continue; // part of a multi-byte character
      t.is(piece, cps.slice(offs[i][0], offs[i][1]).join(''));
    }
  }
});

test('training is deterministic: the same inputs give a byte-identical tokenizer.json, whatever the file order', async (t) => {
  const lines = bigCorpus();
  const a = corpusFile(lines.slice(0, 100), 'a.txt');
  const b = corpusFile(lines.slice(100), 'b.txt');
  const t1 = await trainTokenizer([a, b], { vocabSize: 330 });
  const t2 = await trainTokenizer([a, b], { vocabSize: 330 });
  const t3 = await trainTokenizer([b, a], { vocabSize: 330 });
  t.is(t1.json, t2.json);
  t.is(t1.json, t3.json);
  const d1 = tempDir(), d2 = tempDir();
  saveTrainedTokenizer(t1, join(d1, 'tokenizer.json'));
  saveTrainedTokenizer(t2, join(d2, 'tokenizer.json'));
  t.deepEqual(readFileSync(join(d1, 'tokenizer.json')), readFileSync(join(d2, 'tokenizer.json')));
  t.is(tokenizerJson(t1.model), t1.json);
});

test('vocab is written in id order even for integer-like tokens', async (t) => {
  const lines = Array.from({ length: 50 }, () => '12 12 12 123 123 7 7 7');
  const tr = await trainTokenizer([corpusFile(lines)], { vocabSize: 262 });
  const vocabText = tr.json.slice(tr.json.indexOf('"vocab": {'), tr.json.indexOf('"merges": ['));
  const ids = [...vocabText.matchAll(/^ {6}"(?:[^"\\]|\\.)*": (\d+),?$/gm)].map((m) => Number(m[1]));
  t.deepEqual(ids, Array.from({ length: 262 }, (_, i) => i));
  t.true(tr.model.tokens.includes('12'));
});

test('line unit skips (and counts) empty lines; file unit keeps newlines in the merges', async (t) => {
  const f = corpusFile(['a b', '', 'a b', '', '', 'a b']);
  const byLine = await trainTokenizer([f], { vocabSize: 300, minFrequency: 1 });
  t.deepEqual(byLine.stats.files.map((x) => [x.texts, x.emptyLines]), [[3, 3]]);
  t.false(byLine.model.tokens.slice(259).some((x) => x.includes('Ċ')));
  const byFile = await trainTokenizer([corpusFile(Array.from({ length: 10 }, () => 'x\n'))], { vocabSize: 300, minFrequency: 1, unit: 'file' });
  t.is(byFile.stats.texts, 1);
  t.true(byFile.model.tokens.slice(259).some((x) => x.includes('Ċ')));
});

test('custom special tokens: ids in the given order; the config names the first three', async (t) => {
  const specials = parseSpecials('<s>,</s>,<pad>,<mask>');
  t.deepEqual(specials, ['<s>', '</s>', '<pad>', '<mask>']);
  const tr = await trainTokenizer([corpusFile(bigCorpus())], { vocabSize: 270, specialTokens: specials });
  t.deepEqual(tr.model.tokens.slice(0, 4), specials);
  t.like(tr.config, { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>', additional_special_tokens: ['<mask>'] });
  t.throws(() => parseSpecials('<s>,,</s>'), { instanceOf: OptionError });
});

test('a missing or empty training file is an InputError naming the file', async (t) => {
  await t.throwsAsync(trainTokenizer(['/nonexistent/file.txt'], { vocabSize: 300 }), { instanceOf: InputError, message: /nonexistent\/file\.txt/ });
  const empty = corpusFile([]);
  await t.throwsAsync(trainTokenizer([empty], { vocabSize: 300 }), { instanceOf: InputError, message: /no text/ });
});

test('the CLI command trains and writes tokenizer.json + tokenizer_config.json', async (t) => {
  const f = corpusFile(bigCorpus());
  const out = join(tempDir(), 'cli', 'tokenizer.json');
  const logs: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  try {
    await yargs().command(tokenizerCommand).strict().parseAsync(['tokenizer', 'train', '--vocab-size', '290', '--out', out, '--special', '<|bos|>,<|eos|>,<|pad|>', f]);
  } finally {
    console.log = orig;
  }
  const tok = Tokenizer.fromFile(out);
  t.is(tok.getVocabSize(true), 290);
  t.regex(logs.join('\n'), /vocabulary: 290 \(31 merges; stopped by vocab-size\)/);
  t.truthy(JSON.parse(readFileSync(join(out, '..', 'tokenizer_config.json'), 'utf8')).eos_token);
});

/** Reference: recount every pair from scratch before each merge (slow, obviously right). */
function naiveBpe(words: Map<string, number>, vocabSize: number, minFrequency: number): [string, string][] {
  const sym = bytesToUnicode();
  const toks = [...sym];
  const id = new Map(toks.map((s, i) => [s, i]));
  let seqs = [...words].map(([w]) => [...w].map((c) => id.get(c)!));
  const freqs = [...words].map(([, f]) => f);
  const merges: [string, string][] = [];
  while (toks.length < vocabSize) {
    const cnt = new Map<string, number>();
    seqs.forEach((s, w) => {
      let run = 0;
      for (let i = 0; i + 1 < s.length; i++) {
        if (i > 0 && s[i] !== s[i - 1]) run = i;
        if (s[i] === s[i + 1] && (i - run) % 2 === 1) continue;
        const k = `${s[i]},${s[i + 1]}`;
        cnt.set(k, (cnt.get(k) ?? 0) + freqs[w]);
      }
    });
    let best: [number, number, number] | null = null;
    for (const [k, c] of cnt) {
      const [a, b] = k.split(',').map(Number);
      if (!best || c > best[0] || (c === best[0] && (a < best[1] || (a === best[1] && b < best[2])))) best = [c, a, b];
    }
    if (!best || best[0] < minFrequency) break;
    const [, a, b] = best;
    const str = toks[a] + toks[b];
    let nid = id.get(str);
    if (nid === undefined) { nid = toks.length; toks.push(str); id.set(str, nid); }
    merges.push([toks[a], toks[b]]);
    seqs = seqs.map((s) => {
      const o: number[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { o.push(nid!); i++; } else o.push(s[i]);
      }
      return o;
    });
  }
  return merges;
}

test('trainBpe (incremental, heap) gives exactly the merges of a naive recount-every-step trainer', (t) => {
  const rng = new (class { s = 12345; next() { this.s = (Math.imul(this.s, 1103515245) + 12345) >>> 0; return this.s / 2 ** 32; } })();
  const alphabet = ['a', 'b', 'c', 'Ġ', 'd', 'aa', 'ab'];
  const words = new Map<string, number>();
  for (let i = 0; i < 400; i++) {
    let w = '';
    const len = 1 + Math.floor(rng.next() * 9);
    for (let j = 0; j < len; j++) w += alphabet[Math.floor(rng.next() * alphabet.length)];
    words.set(w, (words.get(w) ?? 0) + 1 + Math.floor(rng.next() * 5));
  }
  words.set('aaaaaaa', 9);
  for (const [vocab, minF] of [[256 + 60, 2], [256 + 200, 1]] as const) {
    const fast = trainBpe(words, { vocabSize: vocab, minFrequency: minF, specialTokens: [] });
    t.deepEqual(fast.merges, naiveBpe(words, vocab, minF));
  }
});
