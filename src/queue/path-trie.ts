// A map keyed by '/'-separated relative paths, stored as a trie so that ancestor / descendant
// questions cost O(depth), not O(size). The empty path '' is the root (an ancestor of every path). Pure.

interface Node<V> {
  readonly name: string;
  readonly parent: Node<V> | null;
  /** null until the first child (most nodes are leaves: no Map for them). */
  children: Map<string, Node<V>> | null;
  value: V | undefined;
  has: boolean;
  /** Values stored in this node's subtree, itself included. */
  count: number;
}

function newNode<V>(name: string, parent: Node<V> | null): Node<V> {
  return { name, parent, children: null, value: undefined, has: false, count: 0 };
}

/** Splits a relative path into segments; '' (the root) has none. */
export function segments(path: string): string[] {
  return path === '' ? [] : path.split('/');
}

/** The end of the segment of `path` that starts at `start` (the next '/', or the length). */
function segEnd(path: string, start: number): number {
  const end = path.indexOf('/', start);
  return end < 0 ? path.length : end;
}

/** True when `a` is `b` or one of its ancestors, or one of its descendants ('' overlaps everything). */
export function overlaps(a: string, b: string): boolean {
  if (a === '' || b === '' || a === b) return true;
  return a.length < b.length ? b.startsWith(`${a}/`) : a.startsWith(`${b}/`);
}

/**
 * Path-keyed map with subtree counts. No guarantee is made about iteration order.
 * Every operation walks at most the path's depth, except the subtree ones (`takeDescendants`,
 * `entries`), which cost the size of what they visit.
 */
export class PathTrie<V> {
  readonly #root: Node<V> = newNode<V>('', null);

  /** Number of stored values. */
  get size(): number {
    return this.#root.count;
  }

  get(path: string): V | undefined {
    return this.#find(path)?.value;
  }

  has(path: string): boolean {
    return this.#find(path)?.has === true;
  }

  /** Stores `value` at `path` (replacing any value there). */
  set(path: string, value: V): void {
    let node = this.#root;
    // The walks below read the segments in place (no split array: every change takes several walks).
    for (let at = 0, end = 0; path !== '' && at <= path.length; at = end + 1) {
      end = segEnd(path, at);
      const seg = path.slice(at, end);
      let child = node.children?.get(seg);
      if (child === undefined) {
        child = newNode(seg, node);
        (node.children ??= new Map()).set(seg, child);
      }
      node = child;
    }
    if (!node.has) this.#addCount(node, 1);
    node.has = true;
    node.value = value;
  }

  /** Removes the value at `path`; returns whether there was one. */
  delete(path: string): boolean {
    const node = this.#find(path);
    if (node?.has !== true) return false;
    node.has = false;
    node.value = undefined;
    this.#addCount(node, -1);
    this.#prune(node);
    return true;
  }

  /** The value of the nearest STRICT ancestor of `path` holding one ('' included), or undefined. */
  nearestAncestor(path: string): V | undefined {
    let node = this.#root;
    let found: V | undefined;
    for (let at = 0, end = 0; path !== '' && at <= path.length; at = end + 1) {
      end = segEnd(path, at);
      if (node.has) found = node.value;
      const child = node.children?.get(path.slice(at, end));
      if (child === undefined) return found;
      node = child;
    }
    return found;
  }

  /** True when some STRICT ancestor of `path` holds a value. */
  hasAncestor(path: string): boolean {
    return this.#descend(path) === 'ancestor';
  }

  /** True when some STRICT descendant of `path` holds a value. */
  hasDescendant(path: string): boolean {
    const node = this.#find(path);
    return node !== undefined && node.count - (node.has ? 1 : 0) > 0;
  }

  /** True when `path`, an ancestor or a descendant holds a value. */
  overlapsAny(path: string): boolean {
    const r = this.#descend(path);
    return r === 'ancestor' || (r !== undefined && r.count > 0);
  }

  /** Walks toward `path`: 'ancestor' at the first strict ancestor holding a value, else its node (undefined: absent). */
  #descend(path: string): 'ancestor' | Node<V> | undefined {
    let node = this.#root;
    for (let at = 0, end = 0; path !== '' && at <= path.length; at = end + 1) {
      end = segEnd(path, at);
      if (node.has) return 'ancestor';
      const child = node.children?.get(path.slice(at, end));
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  /** Removes and returns every STRICT descendant of `path` (cost: the size of that subtree). */
  takeDescendants(path: string): V[] {
    const node = this.#find(path);
    if (node === undefined) return [];
    const out: V[] = [];
    for (const child of node.children?.values() ?? []) collect(child, out);
    const removed = out.length;
    if (removed === 0) return out;
    node.children = null;
    this.#addCount(node, -removed);
    this.#prune(node);
    return out;
  }

  /** Every value at `path` or below it (cost: the size of that subtree). */
  within(path: string): V[] {
    const node = this.#find(path);
    const out: V[] = [];
    if (node !== undefined) collect(node, out);
    return out;
  }

  /** Every stored [path, value]. */
  entries(): [string, V][] {
    const out: [string, V][] = [];
    const walk = (node: Node<V>, prefix: string): void => {
      if (node.has) out.push([prefix, node.value as V]);
      for (const [name, child] of node.children ?? [])
        walk(child, prefix === '' ? name : `${prefix}/${name}`);
    };
    walk(this.#root, '');
    return out;
  }

  #find(path: string): Node<V> | undefined {
    let node = this.#root;
    for (let at = 0, end = 0; path !== '' && at <= path.length; at = end + 1) {
      end = segEnd(path, at);
      const child = node.children?.get(path.slice(at, end));
      if (child === undefined) return undefined;
      node = child;
    }
    return node;
  }

  #addCount(node: Node<V>, delta: number): void {
    for (let n: Node<V> | null = node; n !== null; n = n.parent) n.count += delta;
  }

  /** Drops empty nodes upwards so subtree walks never visit dead branches. */
  #prune(node: Node<V>): void {
    let n: Node<V> = node;
    while (n.parent !== null && n.count === 0) {
      n.parent.children?.delete(n.name);
      n = n.parent;
    }
  }
}

function collect<V>(node: Node<V>, out: V[]): void {
  if (node.has) out.push(node.value as V);
  for (const child of node.children?.values() ?? []) collect(child, out);
}
