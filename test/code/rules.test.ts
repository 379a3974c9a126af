/**
 * METHOD.md §1 precedence rules on hand-written Java (and one C#) method, checked token by token.
 */
import test from 'ava';
import { initLabeller, labelCodeSync, type CodeToken } from '../../src/code/index.ts';
import { labelOf, show } from './helpers.ts';

test.before(async () => {
  await initLabeller(['java', 'csharp']);
});

const java = (code: string): CodeToken[] => labelCodeSync(code, 'java');

test('method header: modifiers, type, name; parameters; throws; annotations', (t) => {
  const tok = java('@Override public static final <T> List<T> pick(final int n, String... names) throws IOException, X { return null; }');
  const m = show(tok);
  for (const w of ['public', 'static', 'pick']) t.is(labelOf(tok, w), 'function declaration', m);
  t.is(labelOf(tok, 'final', 0), 'function declaration', m);
  t.is(labelOf(tok, 'Override'), 'external class', m);
  t.is(labelOf(tok, 'List'), 'external class', m); // generic return type: the class …
  t.is(labelOf(tok, 'T', 1), 'argument', m); // … and its type arguments (the artifact's data)
  t.is(labelOf(tok, 'T', 0), 'parameter', m); // type parameters are parameters
  for (const w of ['int', 'n', 'String', '...', 'names']) t.is(labelOf(tok, w), 'parameter', m);
  t.is(labelOf(tok, 'final', 1), 'parameter', m);
  for (const w of ['throws', 'IOException', 'X']) t.is(labelOf(tok, w), 'exception handling', m);
  t.is(labelOf(tok, 'return'), 'return', m);
});

test('return beats call; throw beats everything inside it', (t) => {
  const tok = java('int f(int a) { if (a > 0) { return g(h(a), a + 1); } throw new IllegalStateException(msg(a)); }');
  const m = show(tok);
  for (const w of ['g', 'h', '+', '1']) t.is(labelOf(tok, w), 'return', m);
  t.is(labelOf(tok, 'a', 2), 'return', m);
  for (const w of ['throw', 'new', 'IllegalStateException', 'msg']) t.is(labelOf(tok, w), 'exception handling', m);
  t.is(labelOf(tok, 'if'), 'conditional statement', m);
  t.is(labelOf(tok, '>'), 'conditional statement', m);
});

test('loop beats conditional block either way; conditions stay conditional statement inside loops', (t) => {
  const tok = java(`void f(int[] xs) {
    for (int i = 0; i < xs.length; i++) { if (xs[i] == 0) { use(i); } sum += xs[i]; }
    if (ready) { while (more()) { step(); } done(); }
    do { tick(); } while (again());
  }`);
  const m = show(tok);
  t.is(labelOf(tok, 'for'), 'loop', m);
  t.is(labelOf(tok, 'i', 0), 'loop', m); // init
  t.is(labelOf(tok, 'i', 1), 'conditional statement', m); // condition
  t.is(labelOf(tok, '<'), 'conditional statement', m); // for condition
  t.is(labelOf(tok, '++'), 'loop', m); // update
  t.is(labelOf(tok, 'if', 0), 'conditional statement', m); // if inside a loop
  t.is(labelOf(tok, '=='), 'conditional statement', m); // its condition
  t.is(labelOf(tok, 'use'), 'loop', m); // if-body inside a loop: loop beats conditional block
  t.is(labelOf(tok, 'sum'), 'loop', m);
  t.is(labelOf(tok, 'while', 0), 'loop', m); // loop inside an if body
  t.is(labelOf(tok, 'more'), 'conditional statement', m);
  t.is(labelOf(tok, 'step'), 'loop', m); // loop body inside an if: loop
  t.is(labelOf(tok, 'done'), 'conditional block', m);
  t.is(labelOf(tok, 'do'), 'loop', m);
  t.is(labelOf(tok, 'while', 1), 'loop', m);
  t.is(labelOf(tok, 'again'), 'conditional statement', m);
  // do-while body: labelled as if outside the loop (a top-level call statement)
  t.is(labelOf(tok, 'tick'), 'externally defined variable or function', m);
});

test('break / continue are loop; else / else if are conditional statement', (t) => {
  const tok = java('void f() { while (true) { if (a) break; else if (b) continue; else x = 1; } }');
  const m = show(tok);
  t.is(labelOf(tok, 'break'), 'loop', m);
  t.is(labelOf(tok, 'continue'), 'loop', m);
  t.is(labelOf(tok, 'else', 0), 'conditional statement', m);
  t.is(labelOf(tok, 'else', 1), 'conditional statement', m);
  t.is(labelOf(tok, 'x'), 'loop', m);
});

test('try / catch / finally: keywords exception handling, catch parameter parameter, blocks as if no try', (t) => {
  const tok = java('void f() { try { int a = read(); } catch (IOException | RuntimeException e) { log(e); } finally { close(); } }');
  const m = show(tok);
  for (const w of ['try', 'catch', 'finally']) t.is(labelOf(tok, w), 'exception handling', m);
  for (const w of ['IOException', 'RuntimeException', 'e']) t.is(labelOf(tok, w), 'parameter', m);
  t.is(labelOf(tok, 'a'), 'variable declaration', m);
  t.is(labelOf(tok, 'read'), 'variable declaration', m);
  t.is(labelOf(tok, 'log'), 'externally defined variable or function', m);
  t.is(labelOf(tok, 'e', 1), 'argument', m);
});

test('top-level statements: declarations, assignments, calls, receivers', (t) => {
  const tok = java('void f(List<String> xs) { String s = xs.get(0); s = trim(s); xs.add(s); System.out.println(s); this.count = 2; total += 3; }');
  const m = show(tok);
  for (const w of ['String', 'get', '0']) t.is(labelOf(tok, w, w === 'String' ? 1 : 0), 'variable declaration', m);
  t.is(labelOf(tok, 's', 1), 'variable', m); // assignment target: a local
  t.is(labelOf(tok, '=', 1), 'assignment', m);
  t.is(labelOf(tok, 's', 2), 'argument', m);
  t.is(labelOf(tok, 'xs', 2), 'variable', m); // receiver: a local (parameter)
  t.is(labelOf(tok, 'add'), 'function call', m);
  t.is(labelOf(tok, 'System'), 'external class', m);
  t.is(labelOf(tok, 'this'), 'externally defined variable or function', m);
  t.is(labelOf(tok, '+='), 'operation', m);
});

test('ternary: condition and ? conditional statement, branches conditional block', (t) => {
  const tok = java('int f(int a) { int b = a > 0 ? a : -a; return a > 1 ? b : 0; }');
  const m = show(tok);
  t.is(labelOf(tok, '>', 0), 'conditional statement', m);
  t.is(labelOf(tok, '?', 0), 'conditional statement', m);
  t.is(labelOf(tok, ':', 0), 'conditional block', m);
  t.is(labelOf(tok, '-'), 'conditional block', m);
  t.is(labelOf(tok, 'b', 0), 'variable declaration', m);
  t.is(labelOf(tok, '?', 1), 'return', m); // inside return everything is return
});

test('lambda and anonymous-class bodies follow the statement rules in their context', (t) => {
  const tok = java(`void f() {
    run(() -> { int k = 1; if (k > 0) { go(k); } });
    list.forEach(x -> use(x));
    return new Runnable() { public void run() { for (;;) { spin(); } } };
  }`);
  const m = show(tok);
  t.is(labelOf(tok, 'k', 0), 'variable declaration', m); // declaration inside a lambda argument
  t.is(labelOf(tok, 'if'), 'conditional statement', m);
  t.is(labelOf(tok, 'go'), 'conditional block', m);
  t.is(labelOf(tok, 'x', 0), 'parameter', m); // lambda parameter
  t.is(labelOf(tok, '->', 1), 'argument', m);
  t.is(labelOf(tok, 'use'), 'argument', m);
  // under return everything stays return (rule 2), even a nested loop
  t.is(labelOf(tok, 'for'), 'return', m);
  t.is(labelOf(tok, 'spin'), 'return', m);
});

test('comments are one token each and labelled comment wherever they are', (t) => {
  const tok = java('int f() {\n  // one\n  return /* two */ 1;\n}');
  const comments = tok.filter((x) => x.label === 'comment').map((x) => x.text);
  t.deepEqual(comments, ['// one', '/* two */']);
});

test('switch: keywords externally defined, value condition, case bodies by statement rules', (t) => {
  const tok = java('void f(int k) { switch (k) { case ONE: return; case 2: a = b; break; default: throw new E(); } }');
  const m = show(tok);
  t.is(labelOf(tok, 'switch'), 'externally defined variable or function', m);
  t.is(labelOf(tok, 'k', 1), 'conditional statement', m);
  t.is(labelOf(tok, 'ONE'), 'external class', m);
  t.is(labelOf(tok, '2'), 'literal', m);
  t.is(labelOf(tok, 'return'), 'return', m);
  t.is(labelOf(tok, 'break'), 'loop', m);
  t.is(labelOf(tok, 'throw'), 'exception handling', m);
});

test('C#: the same rules on the C# grammar', (t) => {
  const tok = labelCodeSync(`public override int Sum(int[] xs) {
    int total = 0;
    foreach (var x in xs) { if (x > 0) total += x; }
    try { Console.WriteLine(total); } catch (IOException e) when (e.HResult == 1) { throw new InvalidOperationException("bad"); }
    list.ForEach(v => Use(v));
    return total > 9 ? 9 : total;
  }`, 'csharp');
  const m = show(tok);
  for (const w of ['public', 'override', 'Sum']) t.is(labelOf(tok, w), 'function declaration', m);
  t.is(labelOf(tok, 'int', 0), 'function declaration', m);
  t.is(labelOf(tok, 'xs', 0), 'parameter', m);
  t.is(labelOf(tok, 'total', 0), 'variable declaration', m);
  t.is(labelOf(tok, 'foreach'), 'loop', m);
  t.is(labelOf(tok, 'in'), 'loop', m);
  t.is(labelOf(tok, 'if'), 'conditional statement', m);
  t.is(labelOf(tok, '+='), 'loop', m); // if-body inside a loop
  t.is(labelOf(tok, 'try'), 'exception handling', m);
  t.is(labelOf(tok, 'Console'), 'external class', m);
  t.is(labelOf(tok, 'e', 0), 'parameter', m);
  t.is(labelOf(tok, 'when'), 'conditional statement', m);
  t.is(labelOf(tok, 'InvalidOperationException'), 'exception handling', m);
  t.is(labelOf(tok, 'ForEach'), 'function call', m);
  t.is(labelOf(tok, 'v', 0), 'parameter', m);
  t.is(labelOf(tok, 'Use'), 'argument', m);
  t.is(labelOf(tok, '?'), 'return', m);
});

test('C#: expression-bodied members and a whole compilation unit', (t) => {
  const tok = labelCodeSync('using System;\nnamespace N { class C { int f; public int Get() => f + 1; } }', 'csharp');
  const m = show(tok);
  t.is(labelOf(tok, 'using'), null, m); // outside methods: unlabelled
  t.is(labelOf(tok, 'f', 0), null, m); // a field declaration
  t.is(labelOf(tok, 'Get'), 'function declaration', m);
  t.is(labelOf(tok, '+'), 'return', m); // `=> expr` is the method's return
});

test('C#: properties are labelled like methods (getters/setters of the Java side)', (t) => {
  const tok = labelCodeSync('public string Name { get { return _n; } private set { _n = value; } }', 'csharp');
  const m = show(tok);
  for (const w of ['public', 'string', 'Name', 'get', 'set']) t.is(labelOf(tok, w), 'function declaration', m);
  t.is(labelOf(tok, '_n', 0), 'return', m);
  t.is(labelOf(tok, '=', 0), 'assignment', m);
  const arrow = labelCodeSync('public int Count => _items.Count;', 'csharp');
  t.is(labelOf(arrow, 'Count', 1), 'return', show(arrow));
});
