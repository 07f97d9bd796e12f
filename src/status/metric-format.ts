// Pure writers of the Prometheus text exposition format 0.0.4: numbers, escaping, label sets,
// histogram bucket cumulation, and one metric family's lines. No state, no I/O.

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One series: its label values (in the metric's label order) and its value. */
export interface SeriesLine {
  readonly name: string;
  readonly labels: readonly (readonly [string, string])[];
  readonly value: number;
}

/** A sample value as Prometheus reads it: `+Inf`, `-Inf`, `NaN`, else the shortest decimal. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** A label value: backslash, double quote and newline escaped. */
export const escapeLabelValue = (s: string): string =>
  s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** A HELP text: backslash and newline escaped. */
export const escapeHelp = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** `{a="x",b="y"}` in the given order, or '' without labels. */
export function formatLabels(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return '';
  return `{${labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** One family: HELP, TYPE and one line per sample. */
export function formatFamily(
  name: string,
  help: string,
  type: MetricType,
  samples: readonly SeriesLine[],
): string {
  const head = `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`;
  return (
    head +
    samples.map((s) => `${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}\n`).join('')
  );
}

/**
 * The `_bucket`, `_sum` and `_count` lines of one histogram series: `counts[i]` observations fell
 * in bucket i alone (≤ bounds[i]); the last count is those above every bound (+Inf).
 */
export function histogramLines(
  name: string,
  labels: readonly (readonly [string, string])[],
  bounds: readonly number[],
  counts: readonly number[],
  sum: number,
): SeriesLine[] {
  const lines: SeriesLine[] = [];
  let acc = 0;
  for (let i = 0; i <= bounds.length; i++) {
    acc += counts[i] ?? 0;
    const le = i < bounds.length ? formatValue(bounds[i] ?? NaN) : '+Inf';
    lines.push({ name: `${name}_bucket`, labels: [...labels, ['le', le]], value: acc });
  }
  lines.push({ name: `${name}_sum`, labels, value: sum });
  lines.push({ name: `${name}_count`, labels, value: acc });
  return lines;
}
