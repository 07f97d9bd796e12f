// The sync targets of one config: every root x remote, each with its key, its prepared remote
// (argv prefix, computed once) and its operator label, derived from that prepared remote. Pure.
import type { Config } from '../config/types.js';
import type { Target } from '../queue/types.js';
import type { RemoteRef } from '../status/daemon-metrics.js';
import { prepareRemote, type PreparedRemote } from '../sync/argv.js';

export interface SyncTargets {
  /** Every target, in config order (root by root, remote by remote). */
  readonly all: readonly Target[];
  /** The watch roots, in config order. */
  readonly roots: readonly string[];
  /** The targets of one root (none for an unknown root). */
  ofRoot(root: string): readonly Target[];
  byKey(key: string): Target | undefined;
  /** The rsync side of a target: argv prefix, destination, kill timeout. */
  prepared(target: Pick<Target, 'root' | 'remoteIndex'>): PreparedRemote;
  /** `user@127.0.0.1::module` or `127.0.0.1:path` (ssh), as an operator reads it in a log. */
  label(target: Target): string;
  /** The target as the metrics name it. */
  ref(target: Target): RemoteRef;
}

/** The stable key of a target. */
export function targetKey(root: string, remoteIndex: number): string {
  return `${root}\u0000${remoteIndex}`;
}

export function buildTargets(config: Config): SyncTargets {
  const byRoot = new Map<string, Target[]>(
    config.sersync.localpaths.map((lp) => [
      lp.watch,
      lp.remotes.map((_r, remoteIndex) => ({
        key: targetKey(lp.watch, remoteIndex),
        root: lp.watch,
        remoteIndex,
      })),
    ]),
  );
  const all = [...byRoot.values()].flat();
  const prepared = new Map(all.map((t) => [t.key, prepareRemote(config, t.root, t.remoteIndex)]));
  const refs = new Map(
    all.map((t): [string, RemoteRef] => [
      t.key,
      { label: prepared.get(t.key)?.destination ?? t.key, root: t.root },
    ]),
  );
  const byKey = new Map(all.map((t) => [t.key, t]));
  const prep = (t: Pick<Target, 'root' | 'remoteIndex'>): PreparedRemote => {
    const key = targetKey(t.root, t.remoteIndex);
    const p = prepared.get(key);
    if (p === undefined) throw new Error(`Internal error: unknown target ${JSON.stringify(key)}`);
    return p;
  };
  return {
    all,
    roots: [...byRoot.keys()],
    ofRoot: (root) => byRoot.get(root) ?? [],
    byKey: (key) => byKey.get(key),
    prepared: prep,
    label: (t) => prep(t).destination,
    ref: (t) => refs.get(t.key) ?? { label: prep(t).destination, root: t.root },
  };
}
