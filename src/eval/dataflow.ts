/**
 * Data-flow graphs for CodeBLEU's data-flow match, a TypeScript port of the DFG extractors in
 * GraphCodeBERT/CodeBLEU (`parser/DFG.py`: `DFG_java`, `DFG_csharp`; `dataflow_match.py`:
 * `get_data_flow`, `normalize_dataflow`), over web-tree-sitter trees.
 *
 * An edge is (variable token, its token index, 'comesFrom' | 'computedFrom', parent names,
 * parent indices): a use of `x` comes from the last definitions of `x` reaching it; the left side
 * of an assignment / declarator is computed from the variables on the right. Branches merge the
 * reaching definitions (if), loops are walked twice (for, enhanced for, while) — all as in DFG.py.
 *
 * Deviations (documented in docs/metrics.md):
 *  - grammar 0.23.5 node types: C# `foreach_statement` (DFG.py: `for_each_statement`) and C#
 *    `variable_declarator` whose value follows an `=` child (DFG.py expects an
 *    `equals_value_clause` second child);
 *  - where DFG.py turns a list into a Python `set` (merging parents), order is undefined in
 *    Python (string hashing is randomised per process, so the reference score can vary between
 *    runs); here duplicates are dropped keeping first-seen order, which is deterministic;
 *  - token positions are JS string offsets rather than (row, byte column) pairs.
 */
import type { Node } from 'web-tree-sitter';
import type { CodeLang } from './parsers.ts';

export type Relation = 'comesFrom' | 'computedFrom';
export interface DfgEdge {
  name: string;
  idx: number;
  rel: Relation;
  parNames: string[];
  parIdx: number[];
}
type States = Map<string, number[]>;
type IndexToCode = Map<string, [number, string]>;

const STRINGY = new Set(['string_literal', 'string', 'character_literal']);

function isTokenNode(n: Node): boolean {
  return (n.childCount === 0 || STRINGY.has(n.type)) && n.type !== 'comment';
}
function key(n: Node): string {
  return `${n.startIndex}:${n.endIndex}`;
}
function lookup(itc: IndexToCode, k: string): [number, string] {
  const v = itc.get(k);
  if (!v) throw new Error(`token ${k} not indexed`); // DFG.py: KeyError → empty DFG
  return v;
}

/** `tree_to_token_index`. */
function tokenNodes(root: Node, out: Node[] = []): Node[] {
  if (isTokenNode(root)) out.push(root);
  else if (root.childCount > 0) for (const c of root.children) tokenNodes(c, out);
  return out;
}

/** `tree_to_variable_index`: token keys under `root` whose text differs from their node type. */
function variableIndex(root: Node | null, itc: IndexToCode): string[] {
  if (!root) throw new Error('missing node');
  if (isTokenNode(root)) {
    const k = key(root);
    const [, code] = lookup(itc, k);
    return root.type !== code ? [k] : [];
  }
  const out: string[] = [];
  for (const c of root.children) out.push(...variableIndex(c, itc));
  return out;
}

const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
const byIdx = (a: DfgEdge, b: DfgEdge) => a.idx - b.idx; // Array.prototype.sort is stable, like Python's

interface LangSpec {
  assignment: string[];
  def: string[];
  increment: string[];
  ifs: string[];
  fors: string[];
  enhancedFor: string[];
  enhancedFields: [string, string, string];
  whiles: string[];
  declarator(n: Node): { name: Node | null; value: Node | null };
}

const SPECS: Record<CodeLang, LangSpec> = {
  java: {
    assignment: ['assignment_expression'],
    def: ['variable_declarator'],
    increment: ['update_expression'],
    ifs: ['if_statement', 'else'],
    fors: ['for_statement'],
    enhancedFor: ['enhanced_for_statement'],
    enhancedFields: ['name', 'value', 'body'],
    whiles: ['while_statement'],
    declarator: (n) => ({ name: n.childForFieldName('name'), value: n.childForFieldName('value') }),
  },
  c_sharp: {
    assignment: ['assignment_expression'],
    def: ['variable_declarator'],
    increment: ['postfix_unary_expression'],
    ifs: ['if_statement', 'else'],
    fors: ['for_statement'],
    enhancedFor: ['foreach_statement', 'for_each_statement'],
    enhancedFields: ['left', 'right', 'body'],
    whiles: ['while_statement'],
    declarator: (n) => {
      const kids = n.children;
      const eq = kids.findIndex((k) => k.type === '=' || k.type === 'equals_value_clause');
      if (eq < 0) return { name: kids[0] ?? null, value: null };
      return { name: kids[0], value: kids[eq].type === 'equals_value_clause' ? kids[eq] : (kids[eq + 1] ?? null) };
    },
  },
};

/** The loop-merge step of DFG.py: one edge per (name, idx, rel), parents unioned. */
function mergeLoop(dfg: DfgEdge[]): DfgEdge[] {
  const dic = new Map<string, DfgEdge>();
  for (const x of dfg) {
    const k = `${x.name}\u0000${x.idx}\u0000${x.rel}`;
    const prev = dic.get(k);
    if (!prev) dic.set(k, { ...x, parNames: [...x.parNames], parIdx: [...x.parIdx] });
    else {
      prev.parNames = uniq([...prev.parNames, ...x.parNames]);
      prev.parIdx = uniq([...prev.parIdx, ...x.parIdx]).sort((a, b) => a - b);
    }
  }
  return [...dic.values()].sort(byIdx);
}

function dfgWalk(spec: LangSpec, node: Node | null, itc: IndexToCode, inStates: States): [DfgEdge[], States] {
  if (!node) throw new Error('missing node');
  let states: States = new Map(inStates);
  const walk = (n: Node | null, s: States) => dfgWalk(spec, n, itc, s);
  const t = node.type;
  if (isTokenNode(node)) {
    const [idx, code] = lookup(itc, key(node));
    if (t === code) return [[], states];
    const prev = states.get(code);
    if (prev) return [[{ name: code, idx, rel: 'comesFrom', parNames: [code], parIdx: [...prev] }], states];
    if (t === 'identifier') states.set(code, [idx]);
    return [[{ name: code, idx, rel: 'comesFrom', parNames: [], parIdx: [] }], states];
  }
  const dfg: DfgEdge[] = [];
  const pushFrom = (nameKeys: string[], valueKeys: string[], rel: Relation) => {
    for (const k1 of nameKeys) {
      const [idx1, code1] = lookup(itc, k1);
      for (const k2 of valueKeys) {
        const [idx2, code2] = lookup(itc, k2);
        dfg.push({ name: code1, idx: idx1, rel, parNames: [code2], parIdx: [idx2] });
      }
      states.set(code1, [idx1]);
    }
  };
  if (spec.def.includes(t)) {
    const { name, value } = spec.declarator(node);
    if (value === null) {
      for (const k of variableIndex(name, itc)) {
        const [idx, code] = lookup(itc, k);
        dfg.push({ name: code, idx, rel: 'comesFrom', parNames: [], parIdx: [] });
        states.set(code, [idx]);
      }
      return [dfg.sort(byIdx), states];
    }
    const nameKeys = variableIndex(name, itc);
    const valueKeys = variableIndex(value, itc);
    const [temp, s2] = walk(value, states);
    states = s2;
    dfg.push(...temp);
    pushFrom(nameKeys, valueKeys, 'comesFrom');
    return [dfg.sort(byIdx), states];
  }
  if (spec.assignment.includes(t)) {
    const left = node.childForFieldName('left');
    const right = node.childForFieldName('right');
    const [temp, s2] = walk(right, states);
    states = s2;
    dfg.push(...temp);
    pushFrom(variableIndex(left, itc), variableIndex(right, itc), 'computedFrom');
    return [dfg.sort(byIdx), states];
  }
  if (spec.increment.includes(t)) {
    const keys = variableIndex(node, itc);
    pushFrom(keys, keys, 'computedFrom');
    return [dfg.sort(byIdx), states];
  }
  if (spec.ifs.includes(t)) {
    let current: States = new Map(states);
    const others: States[] = [];
    let flag = false;
    let tag = t.includes('else');
    for (const child of node.children) {
      if (child.type.includes('else')) tag = true;
      if (!spec.ifs.includes(child.type) && !flag) {
        const [temp, s2] = walk(child, current);
        current = s2;
        dfg.push(...temp);
      } else {
        flag = true;
        const [temp, s2] = walk(child, states);
        dfg.push(...temp);
        others.push(s2);
      }
    }
    others.push(current);
    if (!tag) others.push(states);
    const merged: States = new Map();
    for (const dic of others) {
      for (const [k, v] of dic) merged.set(k, [...(merged.get(k) ?? []), ...v]);
    }
    for (const [k, v] of merged) merged.set(k, uniq(v).sort((a, b) => a - b));
    return [dfg.sort(byIdx), merged];
  }
  if (spec.fors.includes(t)) {
    for (const child of node.children) {
      const [temp, s2] = walk(child, states);
      states = s2;
      dfg.push(...temp);
    }
    let flag = false;
    for (const child of node.children) {
      if (flag) {
        const [temp, s2] = walk(child, states);
        states = s2;
        dfg.push(...temp);
      } else if (child.type === 'local_variable_declaration') flag = true;
    }
    return [mergeLoop(dfg), states];
  }
  if (spec.enhancedFor.includes(t)) {
    const [fName, fValue, fBody] = spec.enhancedFields;
    const name = node.childForFieldName(fName);
    const value = node.childForFieldName(fValue);
    const body = node.childForFieldName(fBody);
    for (let i = 0; i < 2; i++) {
      const [temp, s2] = walk(value, states);
      states = s2;
      dfg.push(...temp);
      pushFrom(variableIndex(name, itc), variableIndex(value, itc), 'computedFrom');
      const [temp2, s3] = walk(body, states);
      states = s3;
      dfg.push(...temp2);
    }
    return [mergeLoop(dfg), states];
  }
  if (spec.whiles.includes(t)) {
    for (let i = 0; i < 2; i++) {
      for (const child of node.children) {
        const [temp, s2] = walk(child, states);
        states = s2;
        dfg.push(...temp);
      }
    }
    return [mergeLoop(dfg), states];
  }
  for (const child of node.children) {
    const [temp, s2] = walk(child, states);
    states = s2;
    dfg.push(...temp);
  }
  return [dfg.sort(byIdx), states];
}

/** `get_data_flow`: the DFG of a parsed snippet, reduced to edges that take part in a relation. */
export function extractDataflow(root: Node, lang: CodeLang): DfgEdge[] {
  const itc: IndexToCode = new Map();
  tokenNodes(root).forEach((n, i) => itc.set(key(n), [i, n.text]));
  let dfg: DfgEdge[];
  try {
    dfg = dfgWalk(SPECS[lang], root, itc, new Map())[0];
  } catch {
    dfg = [];
  }
  dfg = [...dfg].sort(byIdx);
  const related = new Set<number>();
  for (const d of dfg) {
    if (d.parIdx.length > 0) related.add(d.idx);
    for (const x of d.parIdx) related.add(x);
  }
  const kept = dfg.filter((d) => related.has(d.idx));
  // merge nodes with the same token index
  const dic = new Map<number, DfgEdge>();
  for (const d of kept) {
    const prev = dic.get(d.idx);
    if (!prev) dic.set(d.idx, d);
    else dic.set(d.idx, { ...d, parNames: uniq([...prev.parNames, ...d.parNames]), parIdx: uniq([...prev.parIdx, ...d.parIdx]) });
  }
  return [...dic.values()];
}

/** `normalize_dataflow`: variable names replaced by var_0, var_1, … in order of appearance. */
export function normalizeDataflow(dfg: readonly DfgEdge[]): string[] {
  const names = new Map<string, string>();
  const norm = (n: string) => {
    if (!names.has(n)) names.set(n, `var_${names.size}`);
    return names.get(n)!;
  };
  return dfg.map((e) => {
    const pars = e.parNames.map(norm);
    const v = norm(e.name);
    return JSON.stringify([v, e.rel, pars]);
  });
}
