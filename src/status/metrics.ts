// A tiny metrics registry (counters, gauges, histograms with labels) and its Prometheus text
// exposition (format 0.0.4, metrics-text.ts). Pure: no I/O, no clock, no dependency.
import { renderFamily, type Family, type Kind } from './metrics-text.js';

/** Label values of one series, keyed by the metric's declared label names. */
export type Labels<L extends string> = Readonly<Record<L, string>>;

/** A monotonically increasing count. */
export interface Counter<L extends string = never> {
  readonly name: string;
  /** Adds `by` (default 1, must be finite and >= 0: a negative step is a bug and throws). */
  inc(labels: Labels<L>, by?: number): void;
  /** The current value of one series (0 when never incremented). */
  get(labels: Labels<L>): number;
}

/** A value that goes up and down. */
export interface Gauge<L extends string = never> {
  readonly name: string;
  set(labels: Labels<L>, value: number): void;
  inc(labels: Labels<L>, by?: number): void;
  get(labels: Labels<L>): number;
  /** Forgets every series (for gauges rebuilt from a snapshot at each scrape). */
  reset(): void;
}

/** Observations counted into fixed cumulative buckets, plus their sum and count. */
export interface Histogram<L extends string = never> {
  readonly name: string;
  /** Upper bounds, ascending, without +Inf (always implied). */
  readonly buckets: readonly number[];
  observe(labels: Labels<L>, value: number): void;
  /** Count and sum of one series (0 / 0 when nothing was observed). */
  get(labels: Labels<L>): { readonly count: number; readonly sum: number };
}

/** Where metrics are declared; renders them all. Declaring a name twice is a bug and throws. */
export interface MetricsRegistry {
  counter<L extends string = never>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ): Counter<L>;
  gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = never>(
    name: string,
    help: string,
    buckets: readonly number[],
    labelNames?: readonly L[],
  ): Histogram<L>;
  /**
   * Registers a hook run at the start of every `render()` (in registration order), for gauges that
   * are read from a snapshot at scrape time rather than updated as things happen.
   */
  onCollect(hook: () => void): void;
  /** The whole registry in Prometheus text format 0.0.4: metrics in declaration order, series sorted by labels. */
  render(): string;
}

/** The Content-Type of `render()`'s output. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export { escapeHelp, escapeLabelValue, formatValue } from './metrics-text.js';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type AnyLabels = Readonly<Record<string, string>>;

/** A new family in `families`; bad or repeated names are a bug and throw. */
function declare(
  families: Map<string, Family>,
  name: string,
  help: string,
  kind: Kind,
  labelNames: readonly string[],
  buckets: readonly number[],
): Family {
  if (!METRIC_NAME.test(name))
    throw new Error(`Internal error: invalid metric name ${JSON.stringify(name)}`);
  if (families.has(name)) throw new Error(`Internal error: metric ${name} declared twice`);
  for (const l of labelNames) {
    if (!LABEL_NAME.test(l) || l.startsWith('__') || (kind === 'histogram' && l === 'le')) {
      throw new Error(`Internal error: invalid label name ${JSON.stringify(l)} on ${name}`);
    }
  }
  if (new Set(labelNames).size !== labelNames.length)
    throw new Error(`Internal error: duplicate label on ${name}`);
  const f: Family = {
    name,
    help,
    kind,
    labelNames: [...labelNames],
    buckets: [...buckets],
    series: new Map(),
  };
  families.set(name, f);
  return f;
}

/** The values of one series, or undefined when it was never touched. Wrong label names are a bug. */
function find(
  f: Family,
  labels: AnyLabels,
): { key: string; values: string[]; slot: number[] | undefined } {
  const keys = Object.keys(labels);
  if (
    keys.length !== f.labelNames.length ||
    !f.labelNames.every((n) => typeof labels[n] === 'string')
  ) {
    throw new Error(
      `Internal error: ${f.name} takes labels {${f.labelNames.join(',')}}, got {${keys.join(',')}}`,
    );
  }
  const values = f.labelNames.map((n) => labels[n] ?? '');
  const key = values.join('\u0000');
  return { key, values, slot: f.series.get(key)?.values };
}

/** The values of one series, created at 0 when new. */
function slot(f: Family, labels: AnyLabels): number[] {
  const found = find(f, labels);
  if (found.slot !== undefined) return found.slot;
  const values = new Array<number>(f.kind === 'histogram' ? f.buckets.length + 2 : 1).fill(0);
  f.series.set(found.key, { labels: found.values, values });
  return values;
}

function finite(name: string, v: number): void {
  if (!Number.isFinite(v)) throw new Error(`Internal error: ${name} given a non-finite value ${v}`);
}

function counterOf<L extends string>(f: Family): Counter<L> {
  if (f.labelNames.length === 0) slot(f, {});
  const name = f.name;
  return {
    name,
    inc(labels, by = 1) {
      finite(name, by);
      if (by < 0) throw new Error(`Internal error: counter ${name} decremented by ${by}`);
      const v = slot(f, labels);
      v[0] = (v[0] ?? 0) + by;
    },
    get: (labels) => find(f, labels).slot?.[0] ?? 0,
  };
}

function gaugeOf<L extends string>(f: Family): Gauge<L> {
  if (f.labelNames.length === 0) slot(f, {});
  const name = f.name;
  return {
    name,
    set(labels, value) {
      finite(name, value);
      slot(f, labels)[0] = value;
    },
    inc(labels, by = 1) {
      finite(name, by);
      const v = slot(f, labels);
      v[0] = (v[0] ?? 0) + by;
    },
    get: (labels) => find(f, labels).slot?.[0] ?? 0,
    reset() {
      f.series.clear();
      if (f.labelNames.length === 0) slot(f, {});
    },
  };
}

function checkBuckets(name: string, buckets: readonly number[]): void {
  if (
    buckets.length === 0 ||
    buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] ?? b)))
  ) {
    throw new Error(`Internal error: histogram ${name} needs finite, strictly ascending buckets`);
  }
}

function histogramOf<L extends string>(f: Family): Histogram<L> {
  if (f.labelNames.length === 0) slot(f, {});
  const name = f.name;
  return {
    name,
    buckets: f.buckets,
    observe(labels, value) {
      finite(name, value);
      const v = slot(f, labels);
      // Stored per bucket (not cumulative); render() accumulates.
      const i = f.buckets.findIndex((b) => value <= b);
      const at = i < 0 ? f.buckets.length : i;
      if (at < f.buckets.length) v[at] = (v[at] ?? 0) + 1;
      const n = f.buckets.length;
      v[n] = (v[n] ?? 0) + value;
      v[n + 1] = (v[n + 1] ?? 0) + 1;
    },
    get(labels) {
      const v = find(f, labels).slot;
      const n = f.buckets.length;
      return { sum: v?.[n] ?? 0, count: v?.[n + 1] ?? 0 };
    },
  };
}

/** Creates an empty registry. */
export function createRegistry(): MetricsRegistry {
  const families = new Map<string, Family>();
  const hooks: (() => void)[] = [];
  return {
    counter: (name, help, labelNames = []) =>
      counterOf(declare(families, name, help, 'counter', labelNames, [])),
    gauge: (name, help, labelNames = []) =>
      gaugeOf(declare(families, name, help, 'gauge', labelNames, [])),
    histogram(name, help, buckets, labelNames = []) {
      checkBuckets(name, buckets);
      return histogramOf(declare(families, name, help, 'histogram', labelNames, buckets));
    },
    onCollect(hook) {
      hooks.push(hook);
    },
    render() {
      for (const h of hooks) h();
      return [...families.values()].map(renderFamily).join('');
    },
  };
}
