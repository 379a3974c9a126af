/**
 * Keyword lists for CodeBLEU's weighted n-gram match (keywords weigh 1, other tokens 0.2; Ren et
 * al. 2020, §3.1). CodeBLEU ships them as `keywords/<lang>.txt`; those files were not available
 * offline, so the lists below are taken from the language specifications:
 *  - Java: the 50 reserved keywords of JLS §3.9 (`_` and the contextual keywords excluded; the
 *    literals true/false/null are not keywords in the JLS);
 *  - C#: the reserved keywords of the C# language reference plus its contextual keywords.
 */
export const JAVA_KEYWORDS: readonly string[] = [
  'abstract', 'assert', 'boolean', 'break', 'byte', 'case', 'catch', 'char', 'class', 'const',
  'continue', 'default', 'do', 'double', 'else', 'enum', 'extends', 'final', 'finally', 'float',
  'for', 'goto', 'if', 'implements', 'import', 'instanceof', 'int', 'interface', 'long', 'native',
  'new', 'package', 'private', 'protected', 'public', 'return', 'short', 'static', 'strictfp',
  'super', 'switch', 'synchronized', 'this', 'throw', 'throws', 'transient', 'try', 'void',
  'volatile', 'while',
];

export const CSHARP_KEYWORDS: readonly string[] = [
  // reserved
  'abstract', 'as', 'base', 'bool', 'break', 'byte', 'case', 'catch', 'char', 'checked', 'class',
  'const', 'continue', 'decimal', 'default', 'delegate', 'do', 'double', 'else', 'enum', 'event',
  'explicit', 'extern', 'false', 'finally', 'fixed', 'float', 'for', 'foreach', 'goto', 'if',
  'implicit', 'in', 'int', 'interface', 'internal', 'is', 'lock', 'long', 'namespace', 'new',
  'null', 'object', 'operator', 'out', 'override', 'params', 'private', 'protected', 'public',
  'readonly', 'ref', 'return', 'sbyte', 'sealed', 'short', 'sizeof', 'stackalloc', 'static',
  'string', 'struct', 'switch', 'this', 'throw', 'true', 'try', 'typeof', 'uint', 'ulong',
  'unchecked', 'unsafe', 'ushort', 'using', 'virtual', 'void', 'volatile', 'while',
  // contextual
  'add', 'alias', 'ascending', 'async', 'await', 'by', 'descending', 'dynamic', 'equals', 'from',
  'get', 'global', 'group', 'into', 'join', 'let', 'nameof', 'on', 'orderby', 'partial', 'remove',
  'select', 'set', 'value', 'var', 'when', 'where', 'yield',
];
