// A strict reader of the Prometheus text exposition format 0.0.4, for tests: every line must be a
// well-formed HELP, TYPE or sample line (or empty: the format ignores empty lines, and prom-client
// separates families with one), families contiguous, histograms complete and cumulative.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string | undefined;
  readonly samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * A sample value as Prometheus reads it (Go's strconv.ParseFloat: `NaN` and `Inf` in any case;
 * prom-client writes `Nan` for a not-yet-known event-loop mean).
 */
function parseValue(s: string, where: string): number {
  if (/^\+?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (!FLOAT.test(s)) throw new Error(`${where}: bad value ${JSON.stringify(s)}`);
  return Number(s);
}

/** Reads `name{a="x",b="y"}` from the start of `rest`; returns the labels and what follows. */
function parseLabels(
  rest: string,
  where: string,
): { labels: Record<string, string>; after: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    if (rest[i] === '}') return { labels, after: rest.slice(i + 1) };
    const eq = rest.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: unterminated labels`);
    const name = rest.slice(i, eq);
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name ${JSON.stringify(name)}`);
    if (Object.hasOwn(labels, name)) throw new Error(`${where}: duplicate label ${name}`);
    if (rest[eq + 1] !== '"') throw new Error(`${where}: label value must be quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      const c = rest[j];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const n = rest[j + 1];
        if (n === '\\') value += '\\';
        else if (n === '"') value += '"';
        else if (n === 'n') value += '\n';
        else throw new Error(`${where}: bad escape \\${n ?? ''}`);
        j += 2;
        continue;
      }
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (rest[i] === ',') i++;
    else if (rest[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

/** The family a sample name belongs to, given the declared type. */
function familyOf(sample: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sample);
  if (direct && direct.type !== 'histogram' && direct.type !== 'summary') return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const f = families.get(sample.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || (f.type === 'summary' && suffix !== '_bucket'))) return f;
  }
  return undefined;
}

/** Parses `text` strictly; throws with the line number at the first violation. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('body does not end with a line feed');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: string | undefined;
  const lines = text === '' ? [] : text.slice(0, -1).split('\n');
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1}`;
    if (line === '') return;
    if (line.includes('\r')) throw new Error(`${where}: carriage return`);
    const switchTo = (name: string): void => {
      if (current !== name) {
        if (current !== undefined) closed.add(current);
        if (closed.has(name)) throw new Error(`${where}: family ${name} is not contiguous`);
        current = name;
      }
    };
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, what, name = '', arg = ''] = meta;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name ${JSON.stringify(name)}`);
      switchTo(name);
      const f = families.get(name);
      if (what === 'TYPE') {
        if (!TYPES.has(arg)) throw new Error(`${where}: bad type ${JSON.stringify(arg)}`);
        if (f && (f.type !== 'untyped' || f.samples.length > 0))
          throw new Error(`${where}: TYPE for ${name} repeated or after its samples`);
        families.set(name, { name, type: arg, help: f?.help, samples: [] });
      } else {
        if (f?.help !== undefined) throw new Error(`${where}: HELP for ${name} repeated`);
        if (/\\(?![\\n])/.test(arg)) throw new Error(`${where}: bad escape in HELP`);
        families.set(name, {
          name,
          type: f?.type ?? 'untyped',
          help: arg,
          samples: f?.samples ?? [],
        });
      }
      return;
    }
    if (line.startsWith('#'))
      throw new Error(`${where}: comment lines other than HELP/TYPE are not expected`);
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${JSON.stringify(line)}`);
    const [, name = '', restRaw = ''] = m;
    let labels: Record<string, string> = {};
    let rest = restRaw;
    if (rest.startsWith('{')) ({ labels, after: rest } = parseLabels(rest, where));
    const parts = rest.split(' ');
    if (parts[0] !== '' || parts.length < 2 || parts.length > 3)
      throw new Error(`${where}: expected " value [timestamp]" after ${name}`);
    const value = parseValue(parts[1] ?? '', where);
    if (parts[2] !== undefined && !/^-?\d+$/.test(parts[2]))
      throw new Error(`${where}: bad timestamp`);
    const f = familyOf(name, families);
    if (!f) throw new Error(`${where}: sample ${name} has no TYPE declared before it`);
    switchTo(f.name);
    if (name.endsWith('_bucket') && f.type === 'histogram' && labels['le'] === undefined)
      throw new Error(`${where}: bucket without le`);
    if (f.type === 'counter' && !(value >= 0)) throw new Error(`${where}: negative or NaN counter`);
    const id = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (
      f.samples.some((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}` === id)
    ) {
      throw new Error(`${where}: duplicate series ${id}`);
    }
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const k = JSON.stringify(Object.entries(rest).sort());
    series.set(k, [...(series.get(k) ?? []), s]);
  }
  for (const [k, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    const sum = samples.find((s) => s.name === `${f.name}_sum`);
    if (!count || !sum) throw new Error(`${f.name}${k}: missing _sum or _count`);
    const inf = buckets.find((b) => b.labels['le'] === '+Inf');
    if (!inf || inf.value !== count.value)
      throw new Error(`${f.name}${k}: +Inf bucket missing or != _count`);
    let prevLe = -Infinity;
    let prev = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels['le'] ?? '', f.name);
      if (!(le > prevLe) || b.value < prev)
        throw new Error(`${f.name}${k}: buckets not ascending/cumulative`);
      prevLe = le;
      prev = b.value;
    }
  }
}

/** The value of one sample (exact label set), or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const want = JSON.stringify(Object.entries(labels).sort());
  for (const f of families.values()) {
    for (const s of f.samples)
      if (s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)
        return s.value;
  }
  return undefined;
}
