// A binary min-heap on (at, seq) with lazy deletion: an item's record is live only while the
// item's `version` equals the version recorded at push time. Used by pending.ts. Pure.

/** What the heap needs from an item: a tie-breaking sequence number and a version to invalidate records. */
export interface Versioned {
  readonly seq: number;
  readonly version: number;
}

interface HeapRecord<T> {
  readonly at: number;
  readonly seq: number;
  readonly version: number;
  readonly item: T;
}

/**
 * Min-heap keyed by (at, seq). To move or remove an item, bump its `version` (its old records
 * become stale and are skipped) and push it again if needed. O(log n) per push/pop, amortised.
 */
export class VersionedHeap<T extends Versioned> {
  readonly #a: HeapRecord<T>[] = [];

  /** Number of records, stale ones included. */
  get recordCount(): number {
    return this.#a.length;
  }

  push(item: T, at: number): void {
    this.#a.push({ at, seq: item.seq, version: item.version, item });
    let i = this.#a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(this.#at(i), this.#at(p))) break;
      this.#swap(i, p);
      i = p;
    }
  }

  /** The live item with the smallest key, or undefined (drops stale records on the way). */
  peek(): T | undefined {
    for (;;) {
      const top = this.#a[0];
      if (top === undefined) return undefined;
      if (top.version === top.item.version) return top.item;
      this.#popRecord();
    }
  }

  pop(): T | undefined {
    const item = this.peek();
    if (item !== undefined) this.#popRecord();
    return item;
  }

  #popRecord(): void {
    const last = this.#a.pop();
    if (last === undefined || this.#a.length === 0) return;
    this.#a[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.#a.length && less(this.#at(l), this.#at(m))) m = l;
      if (r < this.#a.length && less(this.#at(r), this.#at(m))) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }

  #at(i: number): HeapRecord<T> {
    const rec = this.#a[i];
    if (rec === undefined) throw new Error(`Internal error: heap index ${i} out of range`);
    return rec;
  }

  #swap(i: number, j: number): void {
    const t = this.#at(i);
    this.#a[i] = this.#at(j);
    this.#a[j] = t;
  }
}

function less<T>(x: HeapRecord<T>, y: HeapRecord<T>): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq);
}
