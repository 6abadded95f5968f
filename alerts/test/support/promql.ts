import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

export interface Matcher {
  label: string;
  op: string;
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
  /** The function a range selector (`x[5m]`) is the argument of, e.g. `rate`. */
  rangeFunction?: string;
}

export interface ParsedQuery {
  /** Where the parser gave up, as "at <offset>: <text around it>". */
  errors: string[];
  selectors: Selector[];
  root: SyntaxNode;
  text(node: SyntaxNode): string;
}

/** Parses PromQL with the grammar Prometheus' own UI uses, and lists what it selects. */
export function parseQuery(query: string): ParsedQuery {
  const tree = parser.parse(query);
  const text = (node: SyntaxNode) => query.slice(node.from, node.to);
  const errors: string[] = [];
  const selectors: Selector[] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError)
        errors.push(`at ${ref.from}: ${query.slice(Math.max(0, ref.from - 20), ref.to + 20)}`);
      if (ref.name !== 'VectorSelector') return;
      const node = ref.node;
      const identifier = node.getChild('Identifier');
      const matchers = (node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []).map(
        (matcher) => ({
          label: text(matcher.getChild('LabelName') as SyntaxNode),
          op: text(matcher.getChild('MatchOp') as SyntaxNode),
          value: JSON.parse(text(matcher.getChild('StringLiteral') as SyntaxNode)) as string,
        }),
      );
      const name = matchers.find((matcher) => matcher.label === '__name__' && matcher.op === '=');
      const call = node.parent?.name === 'MatrixSelector' ? node.parent.parent?.parent : undefined;
      const rangeFunction =
        call?.name === 'FunctionCall' ? text(call.getChild('FunctionIdentifier') as SyntaxNode) : undefined;
      selectors.push({
        metric: identifier ? text(identifier) : (name?.value ?? ''),
        matchers,
        ...(rangeFunction ? { rangeFunction } : {}),
      });
    },
  });
  return { errors, selectors, root: tree.topNode, text };
}

const COMPARISONS = new Set(['Gtr', 'Lss', 'Gte', 'Lte', 'Eql', 'Neq']);

/**
 * Whether every series the expression returns passed a comparison (or is absent()'s): an alert
 * without one fires on any value (pint's alerts/comparison). `and`/`unless` keep the left side's
 * series, `or` returns both sides'.
 */
export function alwaysCompared(query: string): boolean {
  const parsed = parseQuery(query);
  const check = (node: SyntaxNode | null): boolean => {
    if (!node) return false;
    if (node.name === 'ParenExpr') return check(node.firstChild);
    if (node.name === 'FunctionCall') {
      return parsed.text(node.getChild('FunctionIdentifier') as SyntaxNode) === 'absent';
    }
    if (node.name !== 'BinaryExpr') return false;
    const operands: SyntaxNode[] = [];
    let operator = '';
    for (let child = node.firstChild; child; child = child.nextSibling) {
      if (['And', 'Or', 'Unless', ...COMPARISONS].includes(child.name)) operator = child.name;
      else if (!['MatchingModifierClause', 'BoolModifier'].includes(child.name) && !isOperator(child.name))
        operands.push(child);
    }
    if (COMPARISONS.has(operator)) return node.getChild('BoolModifier') === null;
    if (operator === 'And' || operator === 'Unless') return check(operands[0] ?? null);
    if (operator === 'Or') return operands.length === 2 && operands.every((operand) => check(operand));
    return false;
  };
  return parsed.errors.length === 0 && check(parsed.root.firstChild);
}

const isOperator = (name: string) => ['Add', 'Sub', 'Mul', 'Div', 'Mod', 'Pow', 'Atan2'].includes(name);
