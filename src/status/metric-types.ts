// Counter, Gauge and Histogram with labels, and the Registry that writes them in the Prometheus
// text format 0.0.4 (our own, instead of prom-client: nothing runs until a scrape, nothing is
// loaded beyond this file and metric-format.ts). Values held in memory; no timers, no I/O.
import {
  CONTENT_TYPE,
  formatFamily,
  histogramLines,
  type MetricType,
  type SeriesLine,
} from './metric-format.js';

export type Labels<L extends string> = Partial<Record<L, string | number>>;

interface Collectable {
  readonly name: string;
  lines(): Promise<string> | string;
}

export class Registry {
  readonly contentType = CONTENT_TYPE;
  readonly #metrics: Collectable[] = [];
  readonly #parts: readonly Registry[];

  constructor(parts: readonly Registry[] = []) {
    this.#parts = parts;
  }

  /** One exposition of every registry given, in order (their metrics are read, not copied). */
  static merge(registries: readonly Registry[]): Registry {
    return new Registry(registries);
  }

  registerMetric(m: Collectable): void {
    if (this.#metrics.some((x) => x.name === m.name))
      throw new Error(`metric ${m.name} is already registered`);
    this.#metrics.push(m);
  }

  /** The exposition text; each metric's collect hook runs now. */
  async metrics(): Promise<string> {
    const out: string[] = [];
    for (const p of this.#parts) out.push(await p.metrics());
    for (const m of this.#metrics) out.push(await m.lines());
    return out.join('');
  }
}

interface BaseOptions<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly L[];
  readonly registers?: readonly Registry[];
}

/** The series map shared by the three kinds: key = label values in label order. */
abstract class Metric<L extends string, V> implements Collectable {
  readonly name: string;
  readonly help: string;
  protected readonly labelNames: readonly L[];
  protected readonly series = new Map<string, { labels: [string, string][]; value: V }>();

  constructor(opts: BaseOptions<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    for (const r of opts.registers ?? []) r.registerMetric(this);
  }

  protected abstract fresh(): V;
  abstract lines(): Promise<string> | string;

  protected entry(labels: Labels<L> = {}): { labels: [string, string][]; value: V } {
    for (const k of Object.keys(labels))
      if (!this.labelNames.includes(k as L)) throw new Error(`${this.name}: unknown label ${k}`);
    const pairs: [string, string][] = [];
    for (const k of this.labelNames) {
      const v = labels[k];
      if (v !== undefined) pairs.push([k, String(v)]);
    }
    const key = JSON.stringify(pairs);
    let e = this.series.get(key);
    if (e === undefined) {
      e = { labels: pairs, value: this.fresh() };
      this.series.set(key, e);
    }
    return e;
  }

  reset(): void {
    this.series.clear();
  }
}

const split = <L extends string>(
  a?: Labels<L> | number,
  b?: number,
): [Labels<L>, number | undefined] => (typeof a === 'number' || a === undefined ? [{}, a] : [a, b]);

abstract class Scalar<L extends string> extends Metric<L, { v: number }> {
  protected abstract readonly type: MetricType;
  protected fresh(): { v: number } {
    return { v: 0 };
  }
  protected family(): string {
    const samples: SeriesLine[] = [...this.series.values()].map((e) => ({
      name: this.name,
      labels: e.labels,
      value: e.value.v,
    }));
    if (samples.length === 0 && this.labelNames.length === 0)
      samples.push({ name: this.name, labels: [], value: 0 });
    return formatFamily(this.name, this.help, this.type, samples);
  }
}

export class Counter<L extends string = string> extends Scalar<L> {
  protected readonly type = 'counter';
  inc(labels?: Labels<L> | number, value?: number): void {
    const [l, v = 1] = split(labels, value);
    if (!(v >= 0)) throw new Error(`${this.name}: a counter only goes up (${v})`);
    this.entry(l).value.v += v;
  }
  lines(): string {
    return this.family();
  }
}

export interface GaugeOptions<L extends string> extends BaseOptions<L> {
  /** Runs at each scrape before the value is written (`this` is the gauge). */
  readonly collect?: (this: Gauge<L>) => void | Promise<void>;
}

export class Gauge<L extends string = string> extends Scalar<L> {
  protected readonly type = 'gauge';
  readonly #collect: GaugeOptions<L>['collect'];
  constructor(opts: GaugeOptions<L>) {
    super(opts);
    this.#collect = opts.collect;
  }
  set(labels: Labels<L> | number, value?: number): void {
    const [l, v = 0] = split(labels, value);
    this.entry(l).value.v = v;
  }
  inc(labels?: Labels<L> | number, value?: number): void {
    const [l, v = 1] = split(labels, value);
    this.entry(l).value.v += v;
  }
  dec(labels?: Labels<L> | number, value?: number): void {
    const [l, v = 1] = split(labels, value);
    this.entry(l).value.v -= v;
  }
  async lines(): Promise<string> {
    if (this.#collect) await this.#collect.call(this);
    return this.family();
  }
}

export interface HistogramOptions<L extends string> extends BaseOptions<L> {
  readonly buckets: readonly number[];
}

interface HistState {
  counts: number[];
  sum: number;
}

export class Histogram<L extends string = string> extends Metric<L, HistState> {
  readonly #bounds: readonly number[];
  constructor(opts: HistogramOptions<L>) {
    super(opts);
    this.#bounds = [...opts.buckets].sort((a, b) => a - b);
  }
  protected fresh(): HistState {
    return { counts: new Array<number>(this.#bounds.length + 1).fill(0), sum: 0 };
  }
  observe(labels: Labels<L> | number, value?: number): void {
    const [l, v = NaN] = split(labels, value);
    const s = this.entry(l).value;
    let i = this.#bounds.findIndex((b) => v <= b);
    if (i < 0) i = this.#bounds.length;
    s.counts[i] = (s.counts[i] ?? 0) + 1;
    s.sum += v;
  }
  /** Creates the series at 0 (so it shows before its first observation). */
  zero(labels: Labels<L>): void {
    this.entry(labels).value = this.fresh();
  }
  lines(): string {
    const samples: SeriesLine[] = [];
    if (this.series.size === 0 && this.labelNames.length === 0) this.entry();
    for (const e of this.series.values())
      samples.push(
        ...histogramLines(this.name, e.labels, this.#bounds, e.value.counts, e.value.sum),
      );
    return formatFamily(this.name, this.help, 'histogram', samples);
  }
}
