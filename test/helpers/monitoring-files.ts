// Reads what conf/grafana-dashboard.json and conf/prometheus-alerts.yml ask of the metrics: every
// series selector (metric name and the label names it matches on) in their PromQL expressions.
// Not a PromQL parser: it finds the names the way PromQL spells them, which is enough to notice
// a metric or label that the service does not export.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** One selector: `name{label="…"}` (labels: the matched label names). */
export interface Selector {
  readonly name: string;
  readonly labels: readonly string[];
}

/** An expression and where it was found (for messages). */
export interface Expr {
  readonly where: string;
  readonly expr: string;
}

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS_ALONE = new Set(['bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);
const IDENT = /(?<![\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*)/g;

/** The selectors of a PromQL expression (Grafana `$variables` and `[$__rate_interval]` allowed). */
export function selectorsOf(expr: string): Selector[] {
  // Strings first (label values, regexes), then ranges / subqueries, then grouping label lists.
  let s = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const out: Selector[] = [];
  // name{matchers}: the labels are the names before a match operator.
  s = s.replace(/(?<![\w.$:])([a-zA-Z_:][a-zA-Z0-9_:]*)?\s*\{([^}]*)\}/g, (_m, name, body) => {
    const labels = [...(body as string).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map(
      (x) => x[1] ?? '',
    );
    if (typeof name === 'string') out.push({ name, labels });
    else throw new Error(`selector without a metric name in ${JSON.stringify(expr)}`);
    return ' ';
  });
  for (const m of s.matchAll(IDENT)) {
    const name = m[1] ?? '';
    const after = s.slice(m.index + name.length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(name) || KEYWORDS_ALONE.has(name.toLowerCase()))
      continue;
    out.push({ name, labels: [] });
  }
  return out;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

/** Every expression of the dashboard: panel targets (rows included) and query variables. */
export function dashboardExprs(file: string): Expr[] {
  const d = JSON.parse(readFileSync(file, 'utf8')) as {
    panels: Panel[];
    templating: { list: { name: string; type: string; query?: unknown }[] };
  };
  const out: Expr[] = [];
  const walk = (ps: Panel[]): void => {
    for (const p of ps) {
      for (const t of p.targets ?? [])
        if (t.expr !== undefined) out.push({ where: `panel "${p.title ?? '?'}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const v of d.templating.list) {
    if (v.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    // label_values(SELECTOR, LABEL): LABEL must be on SELECTOR's metric.
    const lv = /^label_values\((.*),\s*([a-zA-Z_]\w*)\)$/.exec(q);
    if (!lv) throw new Error(`variable ${v.name}: not a label_values() query: ${q}`);
    out.push({ where: `variable $${v.name}`, expr: withLabel(lv[1] ?? '', lv[2] ?? '') });
  }
  return out;
}

/** `m{a="x"}` + `b` → `m{a="x",b!=""}` (so the label check covers the variable's label). */
function withLabel(selector: string, label: string): string {
  return selector.includes('{')
    ? selector.replace(/\}$/, `, ${label}!=""}`)
    : `${selector}{${label}!=""}`;
}

/** The YAML parser already installed (js-yaml, a devDependency); it ships no types. */
function loadYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };
  return yaml.load(text);
}

const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;
const RULE_KEYS = new Set([
  'alert',
  'record',
  'expr',
  'for',
  'keep_firing_for',
  'labels',
  'annotations',
]);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const stringMap = (v: unknown): boolean =>
  v === undefined || (isObject(v) && Object.values(v).every((x) => typeof x === 'string'));

/** One rule of a rule file, as read. */
export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/**
 * Reads a Prometheus rule file and checks its structure the way `promtool check rules` does
 * (groups with unique names; each rule an alert or a record with an expr; `for` a duration;
 * labels and annotations string maps; no unknown key). Throws naming the first problem.
 */
export function ruleFile(file: string): Rule[] {
  const doc = loadYaml(readFileSync(file, 'utf8'));
  const fail = (what: string): never => {
    throw new Error(`${file}: ${what}`);
  };
  if (!isObject(doc) || !Array.isArray(doc['groups'])) return fail('no groups list');
  const names = new Set<string>();
  const rules: Rule[] = [];
  for (const g of doc['groups'] as unknown[]) {
    if (!isObject(g) || typeof g['name'] !== 'string') return fail('a group without a name');
    if (names.has(g['name'])) fail(`group ${g['name']} twice`);
    names.add(g['name']);
    if (!Array.isArray(g['rules']) || g['rules'].length === 0) fail(`group ${g['name']}: no rules`);
    for (const r of g['rules'] as unknown[]) {
      if (!isObject(r)) return fail(`group ${g['name']}: a rule is not a map`);
      const id = String(r['alert'] ?? r['record']);
      for (const k of Object.keys(r)) if (!RULE_KEYS.has(k)) fail(`rule ${id}: unknown key ${k}`);
      if ((typeof r['alert'] === 'string') === (typeof r['record'] === 'string'))
        fail(`rule ${id}: needs exactly one of alert and record`);
      if (typeof r['expr'] !== 'string' || r['expr'].trim() === '') fail(`rule ${id}: no expr`);
      if (r['for'] !== undefined && (typeof r['for'] !== 'string' || !DURATION.test(r['for'])))
        fail(`rule ${id}: for is not a duration`);
      if (!stringMap(r['labels']) || !stringMap(r['annotations']))
        fail(`rule ${id}: labels and annotations must map names to strings`);
      rules.push(r as unknown as Rule);
    }
  }
  return rules;
}
