/**
 * The labelling rules of METHOD.md §1, as one walk of a tree-sitter TreeCursor.
 *
 * Labels follow the enclosing *statement*, outermost rules first: a token's label is decided on the
 * way down (return/throw swallow everything below them; conditions win inside loops; loop beats
 * conditional block), so each leaf gets its label when reached and no node objects are created.
 * Every walk function starts and ends with the cursor on the same node.
 */
import type { Node, Parser, TreeCursor } from 'web-tree-sitter';
import { labelId } from './labels.ts';
import { GRAMMARS, K, type Grammar } from './grammars.ts';
import type { CodeLang } from './parser.ts';

const L = {
  ARG: labelId('argument'),
  ASSIGN: labelId('assignment'),
  COMMENT: labelId('comment'),
  CBLOCK: labelId('conditional block'),
  CSTMT: labelId('conditional statement'),
  EXC: labelId('exception handling'),
  XCLASS: labelId('external class'),
  XDEF: labelId('externally defined variable or function'),
  CALL: labelId('function call'),
  FDECL: labelId('function declaration'),
  INDEX: labelId('index operation'),
  LIT: labelId('literal'),
  LOOP: labelId('loop'),
  OPN: labelId('operation'),
  OPR: labelId('operator'),
  PARAM: labelId('parameter'),
  RET: labelId('return'),
  VAR: labelId('variable'),
  VDECL: labelId('variable declaration'),
} as const;

/** Sentinel: the punctuation token takes the label of the token before it (fine contexts). */
const INHERIT = -1;

/** Punctuation the artifact drops from its token stream. */
const PUNCT = new Set(['(', ')', '{', '}', ';', ',', '.', '[', ']']);

const ARITH = new Set([
  '+', '-', '*', '/', '%', '++', '--', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '<<=', '>>=', '>>>=', '??=',
]);
const LOGIC = new Set([
  '==', '!=', '<', '>', '<=', '>=', '&&', '||', '!', '&', '|', '^', '~', '<<', '>>', '>>>', 'instanceof', 'new',
  'is', 'as', '??',
]);

/** Raw labelling output: parallel arrays, one entry per leaf token, offsets in the parsed text. */
export interface RawTokens {
  start: number[];
  end: number[];
  label: number[];
  punct: boolean[];
  /** Where the parser did not understand the code (none for code that parses). */
  issues: ParseIssue[];
}

/**
 * A place tree-sitter could not parse: an ERROR node (text it skipped or could not fit), or a
 * MISSING node (a token it had to invent, e.g. an absent `)`), whose region is then the construct
 * that was repaired. Offsets are UTF-16 indices into the labelled code. Every token overlapping
 * `start..end` is left unlabelled (label 0) — the parse around it cannot be trusted, and an
 * unlabelled token gets no pseudo-path weight (METHOD.md §4), which beats a wrong label.
 */
export interface ParseIssue {
  kind: 'error' | 'missing';
  start: number;
  end: number;
  /** For `missing`: the token tree-sitter inserted (e.g. ")"). */
  missing?: string;
}

/** Statement context: label of expression statements (0 = fine rules), of local declarations. */
interface Ctx {
  expr: number;
  decl: number;
  inLoop: boolean;
}
const TOP: Ctx = { expr: 0, decl: L.VDECL, inLoop: false };
const LOOP_CTX: Ctx = { expr: L.LOOP, decl: L.LOOP, inLoop: true };
const CBLOCK_CTX: Ctx = { expr: L.CBLOCK, decl: L.CBLOCK, inLoop: false };

export class Labeller {
  private readonly g: Grammar;
  private c!: TreeCursor;
  private text = '';
  private out!: RawTokens;
  /** Names declared in the current method (parameters, locals): receivers that are "variable". */
  private locals = new Set<string>();

  constructor(lang: CodeLang, private readonly parser: Parser) {
    this.g = GRAMMARS[lang];
  }

  /**
   * Parses `code` (a bare method, or a whole compilation unit) and labels its leaves; offsets are
   * in `code`. Bare methods are wrapped in a dummy class so the grammar accepts them.
   */
  label(code: string): RawTokens {
    const g = this.g;
    const unitFirst = g.looksLikeUnit(code);
    let res = this.run(code, !unitFirst);
    // The guess decides only which parse to try first: a parse with errors gets a second chance
    // the other way round, and the cleaner one wins.
    if (res.hasError) {
      const other = this.run(code, unitFirst);
      if (!other.hasError) res = other;
    }
    return res.tokens;
  }

  private run(code: string, wrap: boolean): { tokens: RawTokens; hasError: boolean } {
    const text = wrap ? this.g.wrapPrefix + code + this.g.wrapSuffix : code;
    const tree = this.parser.parse(text);
    if (!tree) throw new Error('tree-sitter returned no tree (parser has no language?)');
    try {
      this.text = text;
      this.out = { start: [], end: [], label: [], punct: [], issues: [] };
      this.locals = new Set();
      this.c = tree.walk();
      try {
        this.outside();
      } finally {
        this.c.delete();
      }
      const tokens = this.out;
      resolveInherit(tokens);
      const hasError = tree.rootNode.hasError;
      if (hasError) {
        collectIssues(tree.rootNode, tokens.issues);
        unlabelIssues(tokens);
      }
      if (wrap) unwrap(tokens, this.g.wrapPrefix.length, code.length);
      return { tokens, hasError };
    } finally {
      tree.delete();
    }
  }

  // ---- leaves -------------------------------------------------------------------------------

  private emit(label: number): void {
    const c = this.c;
    const s = c.startIndex, e = c.endIndex;
    if (e <= s) return; // MISSING nodes inserted by error recovery have no text
    const o = this.out;
    o.start.push(s);
    o.end.push(e);
    const punct = !c.nodeIsNamed && PUNCT.has(c.nodeType);
    o.punct.push(punct);
    o.label.push(label);
  }

  /** If the current node is a leaf (or atomic/comment), emit it and return true. */
  private leaf(type: string, label: number): boolean {
    const g = this.g;
    if (g.comment.has(type)) {
      this.emit(L.COMMENT);
      return true;
    }
    if (g.atomic.has(type)) {
      this.emit(label);
      return true;
    }
    if (this.c.gotoFirstChild()) {
      this.c.gotoParent();
      return false;
    }
    this.emit(label);
    return true;
  }

  private nodeText(): string {
    return this.text.slice(this.c.startIndex, this.c.endIndex);
  }

  /** Records the declared name when the current child is the `name` of a declaring node. */
  private declare(parentType: string, field: string | null): void {
    const g = this.g;
    if (!g.declarer.has(parentType)) return;
    if (field === 'name' || field === 'parameters' || (field !== null && field === g.loopVarField) ||
      (field === null && parentType === 'inferred_parameters')) {
      if (this.c.nodeType === 'identifier') this.locals.add(this.nodeText());
    }
  }

  // ---- outside methods ----------------------------------------------------------------------

  /** Class members, imports, fields: unlabelled; each method with a body is labelled. */
  private outside(): void {
    const c = this.c;
    const type = c.nodeType;
    const kind = this.g.kind.get(type) ?? K.NONE;
    if ((kind === K.METHOD && this.hasBody()) || kind === K.PROPERTY) {
      // A C# property is the translation of Java getters/setters: labelled like a method.
      this.locals = new Set();
      this.method(L.FDECL, TOP);
      return;
    }
    if (this.leaf(type, 0)) return;
    c.gotoFirstChild();
    do this.outside(); while (c.gotoNextSibling());
    c.gotoParent();
  }

  private hasBody(): boolean {
    const c = this.c;
    let found = false;
    if (c.gotoFirstChild()) {
      do {
        if (c.currentFieldName === 'body') {
          found = true;
          break;
        }
      } while (c.gotoNextSibling());
      c.gotoParent();
    }
    return found;
  }

  /**
   * A method: header parts (rule 1) then the body under `ctx`. `head` is the header label:
   * function declaration for a real method; a nested method in an anonymous class takes its
   * context's label for its header (rule 8), but keeps parameter and `throws` labels.
   */
  private method(head: number, ctx: Ctx): void {
    const c = this.c;
    const g = this.g;
    c.gotoFirstChild();
    do {
      const type = c.nodeType;
      const field = c.currentFieldName;
      const kind = g.kind.get(type) ?? K.NONE;
      if (field === 'body' || (field === 'value' && kind === K.ARROW_BODY)) {
        if (kind === K.ARROW_BODY) this.all(L.RET); // `=> expr;` is the method's return
        else this.stmt(ctx);
      } else if (kind === K.ACCESSORS) {
        this.accessors(head, ctx);
      } else if (field === 'parameters' || kind === K.PARAMS || kind === K.TYPE_PARAMS) {
        this.all(L.PARAM);
      } else if (kind === K.THROWS) {
        this.all(L.EXC);
      } else if (kind === K.MODIFIERS) {
        this.modifiers(head);
      } else if (kind === K.ANNOTATION) {
        this.annotation(head === L.FDECL ? L.XCLASS : head);
      } else if (kind === K.CTOR_INIT) {
        this.fineCall(); // `: base(args)` reads like a call statement
      } else if ((field === 'type' || field === 'returns') && kind === K.GENERIC_TYPE && head === L.FDECL) {
        // The artifact's data: a generic return type's class is an external class, its type
        // arguments are arguments (`Map<K, V>` → Map / <K, V>).
        this.genericType(L.ARG);
      } else if ((field === 'type' || field === 'returns') && head === L.FDECL && kind === K.ARRAY_TYPE) {
        this.arrayType(); // `String[]`: the data labels the element type by name, `[]` variable
      } else if ((field === 'type' || field === 'returns') && head === L.FDECL && (kind === K.SCOPED_TYPE)) {
        this.qualified(); // `javax.ws.rs.Client`: package parts externally defined, class external
      } else {
        this.all(head);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** C# `{ get { … } private set; }`: accessor keywords and modifiers take the header label. */
  private accessors(head: number, ctx: Ctx): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      if (c.nodeType === 'accessor_declaration') {
        c.gotoFirstChild();
        do {
          const field = c.currentFieldName;
          if (field === 'body') {
            if ((this.g.kind.get(c.nodeType) ?? K.NONE) === K.ARROW_BODY) this.all(L.RET);
            else this.stmt(ctx);
          } else this.all(head);
        } while (c.gotoNextSibling());
        c.gotoParent();
      } else this.all(head);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private modifiers(head: number): void {
    const c = this.c;
    if (this.leaf(c.nodeType, head)) return;
    c.gotoFirstChild();
    do {
      if ((this.g.kind.get(c.nodeType) ?? K.NONE) === K.ANNOTATION) this.annotation(head === L.FDECL ? L.XCLASS : head);
      else this.all(head);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** `@Name(args)`: the name is an external class, its arguments are arguments. */
  private annotation(nameLabel: number): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      const type = c.nodeType;
      if (type === 'annotation_argument_list' || type === 'attribute_argument_list') this.all(L.ARG);
      else if (type === 'attribute') this.annotation(nameLabel);
      else this.all(nameLabel);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private genericType(args: number): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      const type = c.nodeType;
      if (type === 'type_arguments' || type === 'type_argument_list') this.all(args);
      else this.qualified();
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private arrayType(): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      if (c.currentFieldName === 'element') this.qualified();
      else this.all(L.VAR);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** A (possibly qualified) type name: capitalised parts external class, others externally defined. */
  private qualified(): void {
    const c = this.c;
    if (this.leaf(c.nodeType, INHERIT)) {
      const o = this.out;
      const last = o.label.length - 1;
      // Names (also primitive keywords: `long[]` → long externally defined, as in the data);
      // the dots between them inherit.
      const text = this.nodeText();
      if (last >= 0 && o.label[last] === INHERIT && /^[A-Za-z_$]/.test(text)) {
        o.label[last] = /^[A-Z]/.test(text) ? L.XCLASS : L.XDEF;
      }
      return;
    }
    c.gotoFirstChild();
    do this.qualified(); while (c.gotoNextSibling());
    c.gotoParent();
  }

  // ---- statements ---------------------------------------------------------------------------

  private stmt(ctx: Ctx): void {
    const c = this.c;
    const g = this.g;
    const type = c.nodeType;
    const kind = g.kind.get(type) ?? K.NONE;
    const own = ctx.expr || ctx.decl;
    switch (kind) {
      case K.RETURN:
      case K.YIELD:
        this.all(L.RET); // rule 2: everything inside a return is return
        return;
      case K.THROW:
        this.all(L.EXC); // rule 2
        return;
      case K.BREAK:
        this.all(L.LOOP); // rule 4
        return;
      case K.LOCAL_DECL:
        this.fixed(ctx.decl);
        return;
      case K.EXPR_STMT:
        if (ctx.expr) this.fixed(ctx.expr);
        else this.fine();
        return;
      case K.CTOR_CALL:
        if (ctx.expr) this.fixed(ctx.expr);
        else this.fineCall();
        return;
      case K.ASSERT:
        if (ctx.expr) this.fixed(ctx.expr);
        else this.fineAssert();
        return;
      case K.METHOD: // C# local function: its own header, body in the same context
        if (ctx === TOP) this.method(L.FDECL, TOP);
        else this.method(own, ctx);
        return;
    }
    if (this.leaf(type, own)) return;
    c.gotoFirstChild();
    do {
      const ct = c.nodeType;
      const field = c.currentFieldName;
      const ck = g.kind.get(ct) ?? K.NONE;
      if (g.comment.has(ct)) {
        this.emit(L.COMMENT);
        continue;
      }
      switch (kind) {
        case K.IF:
          // rule 3: if/else and the condition; rule 5: bodies are conditional block unless a
          // loop encloses them (rule 4: loop beats conditional block).
          if (field === 'consequence' || field === 'alternative') this.stmt(ctx.inLoop ? LOOP_CTX : CBLOCK_CTX);
          else this.all(L.CSTMT);
          break;
        case K.WHILE:
        case K.FOR:
        case K.FOREACH:
          if (field === 'body') this.stmt(LOOP_CTX);
          else if (field === 'condition') this.all(L.CSTMT);
          else {
            this.declare(type, field);
            this.fixed(L.LOOP);
          }
          break;
        case K.DO:
          // rule 4's exception: a do-while body is labelled as if outside the loop.
          if (field === 'body') this.stmt(ctx);
          else if (field === 'condition') this.all(L.CSTMT);
          else this.all(L.LOOP);
          break;
        case K.TRY:
        case K.CATCH:
        case K.FINALLY:
          // rule 2: try/catch/finally keywords are exception handling; their blocks are labelled
          // as if the try were not there.
          if (ck === K.CATCH || ck === K.FINALLY || field === 'body' || ck === K.BLOCK) this.stmt(ctx);
          else if (ck === K.CATCH_PARAM) this.all(L.PARAM);
          else if (ck === K.CATCH_FILTER) this.all(L.CSTMT);
          else if (ck === K.RESOURCES) this.fixed(ctx.decl);
          else this.all(L.EXC);
          break;
        case K.SWITCH:
          // The data labels switch/case/default as externally defined…, the switch value as a
          // condition, case constants as external classes; case bodies follow statement rules.
          if (field === 'condition' || field === 'value' || ck === K.PAREN) this.all(L.CSTMT);
          else if (ck === K.SWITCH_BODY) this.stmt(ctx);
          else if (!c.nodeIsNamed) this.emit(ctx.expr || L.XDEF);
          else this.all(L.CSTMT);
          break;
        case K.SWITCH_BODY:
          if (ck === K.SWITCH_SECTION || ck === K.SWITCH_RULE) this.stmt(ctx);
          else if (ck === K.SWITCH_LABEL) this.switchLabel(ctx.expr);
          else if (!c.nodeIsNamed) this.emit(own);
          else this.stmt(ctx);
          break;
        case K.SWITCH_SECTION:
        case K.SWITCH_RULE:
          if (ck === K.SWITCH_LABEL) this.switchLabel(ctx.expr);
          else if (!c.nodeIsNamed) this.emit(ctx.expr || L.XDEF); // C#: case / default / : directly here
          else if (kind === K.SWITCH_SECTION && this.g.lang === 'csharp' && !isStatementType(ct)) this.caseValue(ctx.expr);
          else if (ck === K.NONE && kind === K.SWITCH_RULE) this.fixed(own); // `case X -> expr;`
          else this.stmt(ctx);
          break;
        case K.SYNC:
          if (field === 'body' || ck === K.BLOCK) this.stmt(ctx);
          else this.all(L.XDEF);
          break;
        case K.USING:
          if (field === 'body') this.stmt(ctx);
          else if (!c.nodeIsNamed) this.all(L.EXC);
          else this.fixed(ctx.decl);
          break;
        case K.LABELED:
          if (c.nodeIsNamed && ck !== K.IDENT) this.stmt(ctx);
          else this.all(own);
          break;
        default: // block and anything else: statements below keep the context
          if (c.nodeIsNamed) this.stmt(ctx);
          else this.emit(own);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /**
   * `case X:` / `default:` — keywords externally defined…, constants external class, literal
   * constants literal (the data); inside a loop or if-body everything takes that context's label.
   */
  private switchLabel(own: number): void {
    const c = this.c;
    if (this.leaf(c.nodeType, own || L.XDEF)) return;
    c.gotoFirstChild();
    do {
      if (c.nodeIsNamed) this.caseValue(own);
      else this.emit(own || L.XDEF);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private caseValue(own: number): void {
    if (own) {
      this.all(own);
      return;
    }
    const c = this.c;
    const type = c.nodeType;
    if (this.g.literal.has(type)) {
      this.all(L.LIT);
      return;
    }
    if (this.leaf(type, c.nodeIsNamed ? L.XCLASS : L.XDEF)) return;
    c.gotoFirstChild();
    do this.caseValue(own); while (c.gotoNextSibling());
    c.gotoParent();
  }

  // ---- expressions under a fixed label ------------------------------------------------------

  /**
   * Every token gets `label` (rule 2's return/throw, conditions), even statements of nested
   * lambda / anonymous-class bodies; only comments and lambda / method parameters (always
   * parameter in the data) keep their own label.
   */
  private all(label: number): void {
    this.walkAll(label);
  }

  /**
   * Tokens of a statement under a context label (local declaration, loop, conditional block,
   * call argument): like all(), and ternaries also keep their rule 3 labels (condition and `?`
   * conditional statement, branches conditional block, or loop inside a loop).
   */
  private fixed(label: number): void {
    this.expr(label, true);
  }

  private expr(label: number, ternary: boolean): void {
    const c = this.c;
    const g = this.g;
    const type = c.nodeType;
    const kind = g.kind.get(type) ?? K.NONE;
    switch (kind) {
      case K.METHOD:
        // A method of an anonymous class. Under return/throw/conditions everything but its
        // parameters takes the label (rule 2); elsewhere its body follows the statement rules.
        if (ternary) this.method(label, bodyCtx(label));
        else this.walkAll(label);
        return;
      case K.PARAMS:
        this.walkAll(L.PARAM);
        return;
      case K.FIELD_DECL:
        if (ternary) label = bodyCtx(label).decl; // like a local declaration in that body
        break;
      case K.THROW:
        if (ternary) {
          this.all(L.EXC);
          return;
        }
    }
    if (this.leaf(type, label)) return;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      this.declare(type, field);
      if (kind === K.TERNARY && ternary) {
        if (field === 'condition' || c.nodeType === '?') this.all(L.CSTMT);
        else this.fixed(label === L.LOOP ? L.LOOP : L.CBLOCK);
      } else if (kind === K.LAMBDA && field === 'parameters') {
        this.walkAll(L.PARAM);
      } else if (kind === K.LAMBDA && ternary && field === 'body' && (g.kind.get(c.nodeType) ?? K.NONE) === K.BLOCK) {
        this.stmt(bodyCtx(label));
      } else {
        this.expr(label, ternary);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** Plain recursion: every leaf `label`, except comments and nested parameter lists. */
  private walkAll(label: number): void {
    const c = this.c;
    const type = c.nodeType;
    if (this.leaf(type, label)) return;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      this.declare(type, field);
      const kind = this.g.kind.get(c.nodeType) ?? K.NONE;
      if (kind === K.PARAMS || (field === 'parameters' && type === 'lambda_expression')) this.walkAll(L.PARAM);
      else this.walkAll(label);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  // ---- top-level expression statements (rule 7) ---------------------------------------------

  private fine(): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      if (this.g.comment.has(c.nodeType)) this.emit(L.COMMENT);
      else if (c.nodeIsNamed) this.fineExpr();
      else this.emit(INHERIT);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private fineExpr(): void {
    const c = this.c;
    const kind = this.g.kind.get(c.nodeType) ?? K.NONE;
    switch (kind) {
      case K.CALL:
      case K.CTOR_CALL:
        this.fineCall();
        return;
      case K.ASSIGN:
        this.fineAssign();
        return;
      case K.UPDATE:
        c.gotoFirstChild();
        do {
          if (c.nodeIsNamed) this.target();
          else this.emit(L.OPN);
        } while (c.gotoNextSibling());
        c.gotoParent();
        return;
      case K.NEW:
      case K.LAMBDA:
        this.fixed(L.ARG);
        return;
      case K.TERNARY:
        this.fixed(L.CBLOCK); // condition: conditional statement; branches: conditional block
        return;
    }
    this.lexical();
  }

  /** A call: receiver (variable / external class / externally defined), callee, arguments. */
  private fineCall(): void {
    const c = this.c;
    const g = this.g;
    let hasObject = false;
    let recv = 0;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      const type = c.nodeType;
      const kind = g.kind.get(type) ?? K.NONE;
      if (g.comment.has(type)) this.emit(L.COMMENT);
      else if (field === 'object') {
        hasObject = true;
        recv = this.receiver();
      } else if (field === 'name') {
        // Callee: a method of a local or of an expression is a function call; a bare name, or a
        // static method of a class (`Arrays.copyOf`), mostly externally defined in the data.
        this.all(hasObject && recv !== L.XCLASS ? L.CALL : L.XDEF);
      } else if (field === 'function') {
        // C#: `recv.Name(...)` is a member access in the function slot; a bare name is
        // an externally defined function.
        if (kind === K.MEMBER) this.memberCallee();
        else if (kind === K.IDENT || kind === K.GENERIC_TYPE) this.all(L.XDEF);
        else this.fineExpr();
      } else if (field === 'arguments' || type === 'argument_list') {
        this.fixed(L.ARG);
      } else if (kind === K.THIS || type === ':') {
        this.emit(L.XDEF); // this(...) / super(...) / C#'s `: base(...)`
      } else if (c.nodeIsNamed) {
        this.fixed(L.ARG); // type arguments
      } else {
        this.emit(INHERIT);
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  private memberCallee(): void {
    const c = this.c;
    let recv = 0;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      if (field === 'expression') recv = this.receiver();
      else if (field === 'name') this.all(recv === L.XCLASS ? L.XDEF : L.CALL);
      else this.emit(INHERIT);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /**
   * `target = value`: `=` assignment (operator when a `new` follows, as in the data), compound
   * operators operation; a literal value is part of the assignment, arithmetic is operation.
   */
  private fineAssign(): void {
    const c = this.c;
    const g = this.g;
    let op = -1;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      const type = c.nodeType;
      if (field === 'left') this.target();
      else if (field === 'right') {
        const kind = g.kind.get(type) ?? K.NONE;
        if (kind === K.NEW) {
          if (op >= 0 && this.out.label[op] === L.ASSIGN) this.out.label[op] = L.OPR;
          this.fineNew();
        } else if (g.literal.has(type)) this.all(L.ASSIGN);
        else if (type === 'binary_expression' && this.arithmetic()) this.all(L.OPN);
        else this.fineExpr();
      } else if (field === 'operator') {
        op = this.out.label.length;
        this.emit(type === '=' ? L.ASSIGN : L.OPN);
      } else if (g.comment.has(type)) this.emit(L.COMMENT);
      else this.emit(INHERIT);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** `assert cond : message;` reads like a call in the data: `assert` function call, parts by kind. */
  private fineAssert(): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      const type = c.nodeType;
      if (type === 'assert') this.emit(L.CALL);
      else if (type === ':') this.emit(L.OPR);
      else if (c.nodeIsNamed) this.lexical();
      else this.emit(INHERIT);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** Is the current binary expression's operator arithmetic? */
  private arithmetic(): boolean {
    const c = this.c;
    let arith = false;
    c.gotoFirstChild();
    do {
      if (c.currentFieldName === 'operator') {
        arith = ARITH.has(c.nodeType);
        break;
      }
    } while (c.gotoNextSibling());
    c.gotoParent();
    return arith;
  }

  /** `new T(args)` as a statement's value: `new` operator, the class external, arguments. */
  private fineNew(): void {
    const c = this.c;
    c.gotoFirstChild();
    do {
      const field = c.currentFieldName;
      if (c.nodeType === 'new') this.emit(L.OPR);
      else if (field === 'type') this.qualified();
      else if (c.nodeIsNamed) this.fixed(L.ARG);
      else this.emit(INHERIT);
    } while (c.gotoNextSibling());
    c.gotoParent();
  }

  /** Assignment target: a local is a variable, a field (`x`, `this.x`) externally defined. */
  private target(): void {
    const c = this.c;
    const kind = this.g.kind.get(c.nodeType) ?? K.NONE;
    if (kind === K.IDENT) this.emit(this.locals.has(this.nodeText()) ? L.VAR : L.XDEF);
    else if (kind === K.MEMBER) {
      c.gotoFirstChild();
      do {
        const field = c.currentFieldName;
        if (field === 'object' || field === 'expression') this.receiver();
        else if (c.nodeIsNamed) this.all(L.XDEF);
        else this.emit(INHERIT);
      } while (c.gotoNextSibling());
      c.gotoParent();
    } else this.lexical();
  }

  /**
   * Receiver of a call: local → variable; capitalised → external class; else externally defined.
   * Returns the label of a simple receiver, 0 for a compound one.
   */
  private receiver(): number {
    const c = this.c;
    const kind = this.g.kind.get(c.nodeType) ?? K.NONE;
    switch (kind) {
      case K.IDENT: {
        const name = this.nodeText();
        const label = this.locals.has(name) ? L.VAR : /^[A-Z]/.test(name) ? L.XCLASS : L.XDEF;
        this.emit(label);
        return label;
      }
      case K.THIS:
        this.emit(L.XDEF);
        return L.XDEF;
      case K.CALL:
        this.fineCall();
        return 0;
      case K.MEMBER:
        c.gotoFirstChild();
        do {
          const field = c.currentFieldName;
          if (field === 'object' || field === 'expression') this.receiver();
          else if (c.nodeIsNamed) this.all(L.XDEF);
          else this.emit(INHERIT);
        } while (c.gotoNextSibling());
        c.gotoParent();
        return 0;
    }
    this.lexical();
    return 0;
  }

  /** Fallback inside fine contexts: label each leaf by what it is. */
  private lexical(): void {
    const c = this.c;
    const g = this.g;
    const type = c.nodeType;
    const kind = g.kind.get(type) ?? K.NONE;
    if (kind === K.CALL) return this.fineCall();
    if (kind === K.LAMBDA || kind === K.NEW) return this.fixed(L.ARG);
    if (kind === K.TERNARY) return this.fixed(L.CBLOCK);
    if (g.literal.has(type)) {
      this.all(L.LIT);
      return;
    }
    if (kind === K.IDENT) {
      const name = this.nodeText();
      this.emit(this.locals.has(name) ? L.VAR : /^[A-Z]/.test(name) ? L.XCLASS : L.XDEF);
      return;
    }
    if (kind === K.THIS) {
      this.emit(L.XDEF);
      return;
    }
    if (kind === K.MEMBER) {
      // `X.NAME`: the object by what it is, the member a field (externally defined). Java's
      // data calls capitalised members (constants) external classes; C#'s PascalCase
      // properties must not be taken for classes.
      c.gotoFirstChild();
      do {
        const field = c.currentFieldName;
        if (field === 'object' || field === 'expression') this.receiver();
        else if (field === 'field' || field === 'name') {
          this.all(this.g.lang === 'java' && /^[A-Z]/.test(this.nodeText()) ? L.XCLASS : L.XDEF);
        } else this.emit(INHERIT);
      } while (c.gotoNextSibling());
      c.gotoParent();
      return;
    }
    if (this.leaf(type, leafLabel(type, c.nodeIsNamed))) return;
    c.gotoFirstChild();
    do this.lexical(); while (c.gotoNextSibling());
    c.gotoParent();
  }
}

function leafLabel(type: string, named: boolean): number {
  if (named) return L.VAR;
  if (type === '=') return L.ASSIGN;
  if (ARITH.has(type)) return L.OPN;
  if (LOGIC.has(type)) return L.OPR;
  if (type === '[' || type === ']') return L.INDEX;
  return INHERIT;
}

const STATEMENT_SUFFIX = /_statement$|^block$/;
function isStatementType(t: string): boolean {
  return STATEMENT_SUFFIX.test(t);
}

/** Context of a lambda / anonymous-class body nested under a fixed label (rule 8). */
function bodyCtx(label: number): Ctx {
  if (label === L.LOOP) return LOOP_CTX;
  if (label === L.CBLOCK) return CBLOCK_CTX;
  // In a call argument, a local declaration is still a variable declaration (the data); under
  // return and the like it takes the context label.
  return { expr: label, decl: label === L.ARG ? L.VDECL : label, inLoop: false };
}

function resolveInherit(t: RawTokens): void {
  let prev = 0;
  for (let i = 0; i < t.label.length; i++) {
    if (t.label[i] === INHERIT) t.label[i] = prev;
    else prev = t.label[i];
  }
}

/**
 * Drops the wrapper's tokens and shifts offsets back into the caller's text. A token running into
 * the suffix (an unterminated comment swallows it) is cut at the end of the caller's text.
 */
/** ERROR and MISSING nodes under `node` (an ERROR subtree is one issue: its inside is not parsed code). */
function collectIssues(node: Node, out: ParseIssue[]): void {
  if (node.isError) {
    out.push({ kind: 'error', start: node.startIndex, end: node.endIndex });
    return;
  }
  for (const child of node.children) {
    if (!child) continue;
    if (child.isMissing) out.push({ kind: 'missing', start: node.startIndex, end: node.endIndex, missing: child.type });
    else if (child.isError || child.hasError) collectIssues(child, out);
  }
}

/** Label 0 for every token overlapping an issue's region. */
function unlabelIssues(t: RawTokens): void {
  for (const r of t.issues)
    for (let i = 0; i < t.start.length; i++) if (t.start[i] < r.end && t.end[i] > r.start) t.label[i] = 0;
}

function unwrap(t: RawTokens, shift: number, len: number): void {
  // Issues wholly inside the wrapper (e.g. its class brace) concern no token of the code.
  t.issues = t.issues.filter((r) => r.end - shift >= 0 && r.start - shift <= len);
  for (const r of t.issues) {
    r.start = Math.min(Math.max(r.start - shift, 0), len);
    r.end = Math.min(Math.max(r.end - shift, 0), len);
  }
  let w = 0;
  for (let i = 0; i < t.start.length; i++) {
    const s = t.start[i] - shift, e = Math.min(t.end[i] - shift, len);
    if (s < 0 || s >= len) continue;
    t.start[w] = s;
    t.end[w] = e;
    t.label[w] = t.label[i];
    t.punct[w] = t.punct[i];
    w++;
  }
  t.start.length = t.end.length = t.label.length = t.punct.length = w;
}
