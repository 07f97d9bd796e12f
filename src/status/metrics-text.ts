// The Prometheus text exposition (format 0.0.4) of a registry's metric families: number and
// escaping rules, cumulative histogram buckets, series sorted by labels. Used by metrics.ts. Pure.

export type Kind = 'counter' | 'gauge' | 'histogram';

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: Kind;
  readonly labelNames: readonly string[];
  readonly buckets: readonly number[];
  /** Series key (label values joined by NUL) -> values: [value] or [bucket counts…, sum, count]. */
  readonly series: Map<string, { readonly labels: readonly string[]; values: number[] }>;
}

/** Renders a number the way Prometheus parses it (`+Inf`, `-Inf`, `NaN`, shortest decimal otherwise). */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Escapes a label value: backslash, double quote and line feed. */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Escapes HELP text: backslash and line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelText(
  names: readonly string[],
  values: readonly string[],
  extra?: readonly [string, string],
): string {
  const pairs = names.map((n, i) => `${n}="${escapeLabelValue(values[i] ?? '')}"`);
  if (extra) pairs.push(`${extra[0]}="${escapeLabelValue(extra[1])}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export function renderFamily(f: Family): string {
  const out = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`];
  const series = [...f.series.values()].sort((a, b) => cmp(a.labels, b.labels));
  for (const s of series) {
    if (f.kind !== 'histogram') {
      out.push(`${f.name}${labelText(f.labelNames, s.labels)} ${formatValue(s.values[0] ?? 0)}`);
      continue;
    }
    const n = f.buckets.length;
    let cumulative = 0;
    f.buckets.forEach((b, i) => {
      cumulative += s.values[i] ?? 0;
      out.push(
        `${f.name}_bucket${labelText(f.labelNames, s.labels, ['le', formatValue(b)])} ${cumulative}`,
      );
    });
    const count = s.values[n + 1] ?? 0;
    out.push(`${f.name}_bucket${labelText(f.labelNames, s.labels, ['le', '+Inf'])} ${count}`);
    out.push(`${f.name}_sum${labelText(f.labelNames, s.labels)} ${formatValue(s.values[n] ?? 0)}`);
    out.push(`${f.name}_count${labelText(f.labelNames, s.labels)} ${count}`);
  }
  return `${out.join('\n')}\n`;
}

function cmp(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
