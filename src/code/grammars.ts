/**
 * How each tree-sitter grammar's node types map onto the constructs of METHOD.md §1. The rules in
 * engine.ts are written once against these construct kinds, so Java (the reference the artifact's
 * data was labelled on) and C# (output side of translation) follow the same precedence.
 */
import type { CodeLang } from './parser.ts';

/** Construct kinds the labelling rules distinguish (numbers: compared in the hot loop). */
export const K = {
  NONE: 0,
  METHOD: 1, // method / constructor / local function with a body
  RETURN: 2,
  THROW: 3,
  IF: 4,
  WHILE: 5,
  FOR: 6,
  FOREACH: 7,
  DO: 8,
  TRY: 9,
  CATCH: 10,
  FINALLY: 11,
  CATCH_PARAM: 12,
  CATCH_FILTER: 13,
  BREAK: 14, // break / continue
  SWITCH: 15,
  SWITCH_BODY: 16,
  SWITCH_SECTION: 17,
  SWITCH_LABEL: 18,
  LOCAL_DECL: 19,
  EXPR_STMT: 20,
  BLOCK: 21,
  SYNC: 22, // synchronized (Java) / lock (C#)
  USING: 23, // C# using statement
  LABELED: 24,
  CTOR_CALL: 25, // this(...) / super(...) inside a constructor
  TERNARY: 26,
  LAMBDA: 27,
  CALL: 28,
  ASSIGN: 29,
  UPDATE: 30,
  NEW: 31,
  MEMBER: 32, // field access / member access
  ANNOTATION: 33,
  MODIFIERS: 34,
  TYPE_PARAMS: 35,
  THROWS: 36,
  PARAMS: 37,
  GENERIC_TYPE: 38,
  ARROW_BODY: 39, // C# `=> expr;` method body
  RESOURCES: 40,
  CTOR_INIT: 41, // C# `: base(...)`
  IDENT: 42,
  THIS: 43,
  EMPTY: 44,
  CLASS_LIKE: 45, // a type declaration (compilation-unit input)
  YIELD: 46,
  SWITCH_RULE: 47, // Java `case X -> ...`
  PAREN: 48,
  FIELD_DECL: 49, // a field of an anonymous class body
  SCOPED_TYPE: 50, // qualified type name
  ARRAY_TYPE: 51,
  ASSERT: 52,
  PROPERTY: 53, // C# property declaration
  ACCESSORS: 54,
} as const;

export interface Grammar {
  lang: CodeLang;
  kind: Map<string, number>;
  /** Node types emitted as one token although the grammar gives them children (strings). */
  atomic: Set<string>;
  comment: Set<string>;
  /** Literal leaf types (label "literal" in fine-grained contexts). */
  literal: Set<string>;
  /** Node types whose `name` field declares a local name (parameters, locals, catch params). */
  declarer: Set<string>;
  /** Fields holding a loop header's iteration variable besides `name` (C# foreach `left`). */
  loopVarField: string | null;
  /** Prefix/suffix that turn a bare method into a compilation unit; offsets are mapped back. */
  wrapPrefix: string;
  wrapSuffix: string;
  /** Does the text look like a compilation unit rather than a bare method? */
  looksLikeUnit: (code: string) => boolean;
}

function kinds(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

/**
 * A compilation unit starts with package/import/using/namespace, or declares a type before its
 * first parenthesis (a bare method's first `(` is its parameter list). Annotations/attributes
 * and comments are skipped first, because `@Foo(type = X.class)` holds both `(` and `class`.
 */
function unitDetector(starters: RegExp, typeDecl: RegExp): (code: string) => boolean {
  return (code) => {
    let s = code.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, ' ');
    if (starters.test(s)) return true;
    s = s.replace(/@\w+(?:\.\w+)*\s*(?:\([^()]*(?:\([^()]*\)[^()]*)*\))?|\[[^\]]*\]/g, ' ');
    const cut = s.search(/[({]/);
    return typeDecl.test(cut >= 0 ? s.slice(0, cut) : s);
  };
}

const JAVA: Grammar = {
  lang: 'java',
  kind: kinds({
    method_declaration: K.METHOD,
    constructor_declaration: K.METHOD,
    compact_constructor_declaration: K.METHOD,
    return_statement: K.RETURN,
    throw_statement: K.THROW,
    if_statement: K.IF,
    while_statement: K.WHILE,
    for_statement: K.FOR,
    enhanced_for_statement: K.FOREACH,
    do_statement: K.DO,
    try_statement: K.TRY,
    try_with_resources_statement: K.TRY,
    catch_clause: K.CATCH,
    finally_clause: K.FINALLY,
    catch_formal_parameter: K.CATCH_PARAM,
    break_statement: K.BREAK,
    continue_statement: K.BREAK,
    switch_expression: K.SWITCH,
    switch_block: K.SWITCH_BODY,
    switch_block_statement_group: K.SWITCH_SECTION,
    switch_rule: K.SWITCH_RULE,
    switch_label: K.SWITCH_LABEL,
    local_variable_declaration: K.LOCAL_DECL,
    expression_statement: K.EXPR_STMT,
    block: K.BLOCK,
    constructor_body: K.BLOCK,
    synchronized_statement: K.SYNC,
    labeled_statement: K.LABELED,
    explicit_constructor_invocation: K.CTOR_CALL,
    ternary_expression: K.TERNARY,
    lambda_expression: K.LAMBDA,
    method_invocation: K.CALL,
    assignment_expression: K.ASSIGN,
    update_expression: K.UPDATE,
    object_creation_expression: K.NEW,
    field_access: K.MEMBER,
    annotation: K.ANNOTATION,
    marker_annotation: K.ANNOTATION,
    modifiers: K.MODIFIERS,
    type_parameters: K.TYPE_PARAMS,
    throws: K.THROWS,
    formal_parameters: K.PARAMS,
    generic_type: K.GENERIC_TYPE,
    resource_specification: K.RESOURCES,
    identifier: K.IDENT,
    this: K.THIS,
    super: K.THIS,
    class_declaration: K.CLASS_LIKE,
    interface_declaration: K.CLASS_LIKE,
    enum_declaration: K.CLASS_LIKE,
    record_declaration: K.CLASS_LIKE,
    annotation_type_declaration: K.CLASS_LIKE,
    yield_statement: K.YIELD,
    parenthesized_expression: K.PAREN,
    field_declaration: K.FIELD_DECL,
    scoped_type_identifier: K.SCOPED_TYPE,
    array_type: K.ARRAY_TYPE,
    assert_statement: K.ASSERT,
  }),
  atomic: new Set(['string_literal', 'text_block', 'character_literal']),
  comment: new Set(['line_comment', 'block_comment']),
  literal: new Set([
    'decimal_integer_literal', 'hex_integer_literal', 'octal_integer_literal', 'binary_integer_literal',
    'decimal_floating_point_literal', 'hex_floating_point_literal', 'true', 'false', 'null_literal',
    'character_literal', 'string_literal', 'text_block',
  ]),
  declarer: new Set([
    'formal_parameter', 'spread_parameter', 'variable_declarator', 'catch_formal_parameter',
    'enhanced_for_statement', 'resource', 'lambda_expression', 'inferred_parameters',
  ]),
  loopVarField: null,
  wrapPrefix: 'class __EyemulatorWrap__ { ',
  wrapSuffix: '\n}',
  looksLikeUnit: unitDetector(
    /^\s*(?:package|import)\b/,
    /\b(?:class|interface|enum|record)\s+[A-Za-z_$]|@interface\b/,
  ),
};

const CSHARP: Grammar = {
  lang: 'csharp',
  kind: kinds({
    method_declaration: K.METHOD,
    constructor_declaration: K.METHOD,
    destructor_declaration: K.METHOD,
    operator_declaration: K.METHOD,
    conversion_operator_declaration: K.METHOD,
    local_function_statement: K.METHOD,
    return_statement: K.RETURN,
    throw_statement: K.THROW,
    throw_expression: K.THROW,
    if_statement: K.IF,
    while_statement: K.WHILE,
    for_statement: K.FOR,
    foreach_statement: K.FOREACH,
    do_statement: K.DO,
    try_statement: K.TRY,
    catch_clause: K.CATCH,
    finally_clause: K.FINALLY,
    catch_declaration: K.CATCH_PARAM,
    catch_filter_clause: K.CATCH_FILTER,
    break_statement: K.BREAK,
    continue_statement: K.BREAK,
    switch_statement: K.SWITCH,
    switch_body: K.SWITCH_BODY,
    switch_section: K.SWITCH_SECTION,
    local_declaration_statement: K.LOCAL_DECL,
    expression_statement: K.EXPR_STMT,
    block: K.BLOCK,
    lock_statement: K.SYNC,
    using_statement: K.USING,
    fixed_statement: K.USING,
    labeled_statement: K.LABELED,
    constructor_initializer: K.CTOR_INIT,
    conditional_expression: K.TERNARY,
    lambda_expression: K.LAMBDA,
    anonymous_method_expression: K.LAMBDA,
    invocation_expression: K.CALL,
    assignment_expression: K.ASSIGN,
    postfix_unary_expression: K.UPDATE,
    object_creation_expression: K.NEW,
    implicit_object_creation_expression: K.NEW,
    member_access_expression: K.MEMBER,
    attribute_list: K.ANNOTATION,
    type_parameter_list: K.TYPE_PARAMS,
    type_parameter_constraints_clause: K.TYPE_PARAMS,
    parameter_list: K.PARAMS,
    generic_name: K.GENERIC_TYPE,
    arrow_expression_clause: K.ARROW_BODY,
    identifier: K.IDENT,
    this: K.THIS,
    base: K.THIS,
    class_declaration: K.CLASS_LIKE,
    interface_declaration: K.CLASS_LIKE,
    struct_declaration: K.CLASS_LIKE,
    enum_declaration: K.CLASS_LIKE,
    record_declaration: K.CLASS_LIKE,
    yield_statement: K.YIELD,
    empty_statement: K.EMPTY,
    parenthesized_expression: K.PAREN,
    field_declaration: K.FIELD_DECL,
    qualified_name: K.SCOPED_TYPE,
    property_declaration: K.PROPERTY,
    accessor_list: K.ACCESSORS,
    array_type: K.ARRAY_TYPE,
  }),
  atomic: new Set([
    'string_literal', 'verbatim_string_literal', 'raw_string_literal', 'interpolated_string_expression',
    'character_literal',
  ]),
  comment: new Set(['comment']),
  literal: new Set([
    'integer_literal', 'real_literal', 'boolean_literal', 'null_literal', 'character_literal',
    'string_literal', 'verbatim_string_literal', 'raw_string_literal', 'interpolated_string_expression',
  ]),
  declarer: new Set([
    'parameter', 'variable_declarator', 'catch_declaration', 'foreach_statement', 'lambda_expression',
    'implicit_parameter',
  ]),
  loopVarField: 'left',
  wrapPrefix: 'class __EyemulatorWrap__ { ',
  wrapSuffix: '\n}',
  looksLikeUnit: unitDetector(
    /^\s*(?:using|namespace|#)\s*[\w(]/,
    /\b(?:class|interface|struct|enum|record)\s+[A-Za-z_@]/,
  ),
};

export const GRAMMARS: Record<CodeLang, Grammar> = { java: JAVA, csharp: CSHARP };
