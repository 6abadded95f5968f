import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';

/** A function call or an aggregation around a selector. */
export interface Enclosing {
  name: string;
  /** The `by (...)` labels of an aggregation. */
  by: string[];
}

export interface Selector {
  /** Where the selector starts in the query. */
  from: number;
  metric: string;
  /** Label matchers by label name, e.g. `job` → `=~"$job"`. */
  matchers: Map<string, string>;
  /** The range of a range selector (`x[5m]`), undefined for an instant one. */
  range?: string;
  /** Functions and aggregations around the selector, innermost first. */
  enclosing: Enclosing[];
}

export interface Aggregation extends Enclosing {
  /** The selectors inside the aggregation, whose labels are the only ones it can group by. */
  selectors: Selector[];
}

export interface ParsedQuery {
  /** Positions the parser could not make sense of. */
  errors: number[];
  selectors: Selector[];
  aggregations: Aggregation[];
}

const childrenOf = (node: SyntaxNode, name: string): SyntaxNode[] => node.getChildren(name);

function enclosingOf(node: SyntaxNode, text: (node: SyntaxNode) => string): Enclosing | undefined {
  if (node.name === 'FunctionCall') {
    const identifier = node.getChild('FunctionIdentifier');
    return identifier ? { name: text(identifier), by: [] } : undefined;
  }
  if (node.name === 'AggregateExpr') {
    const op = node.getChild('AggregateOp');
    const modifier = node.getChild('AggregateModifier');
    const grouping = modifier?.getChild('By') ? modifier.getChild('GroupingLabels') : null;
    const by = grouping ? childrenOf(grouping, 'LabelName').map(text) : [];
    return op ? { name: text(op), by } : undefined;
  }
  return undefined;
}

/** Parses PromQL (no Grafana variables left in ranges) the way Prometheus' own editor does. */
export function parsePromQL(expr: string): ParsedQuery {
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const errors: number[] = [];
  const selectors: Selector[] = [];
  const aggregationNodes: SyntaxNode[] = [];
  const cursor = parser.parse(expr).cursor();
  do {
    if (cursor.type.isError) errors.push(cursor.from);
    if (cursor.name === 'AggregateExpr') aggregationNodes.push(cursor.node);
    if (cursor.name !== 'VectorSelector') continue;
    const node = cursor.node;
    const identifier = node.getChild('Identifier');
    const matchers = new Map<string, string>();
    for (const matcher of node.getChild('LabelMatchers')?.getChildren('UnquotedLabelMatcher') ?? []) {
      const name = matcher.getChild('LabelName');
      const op = matcher.getChild('MatchOp');
      const value = matcher.getChild('StringLiteral');
      if (name && op && value) matchers.set(text(name), `${text(op)}${text(value)}`);
    }
    const matrix = node.parent?.name === 'MatrixSelector' ? node.parent : undefined;
    const duration = matrix?.lastChild;
    const enclosing: Enclosing[] = [];
    for (let parent = node.parent; parent; parent = parent.parent) {
      const around = enclosingOf(parent, text);
      if (around) enclosing.push(around);
    }
    selectors.push({
      from: node.from,
      metric: identifier ? text(identifier) : '',
      matchers,
      range: duration ? text(duration) : undefined,
      enclosing,
    });
  } while (cursor.next());
  const aggregations = aggregationNodes.map((node) => ({
    ...(enclosingOf(node, text) as Enclosing),
    selectors: selectors.filter((selector) => selector.from >= node.from && selector.from < node.to),
  }));
  return { errors, selectors, aggregations };
}
