// The watched roots: each <sersync><localpath watch> with its <remote>s, and the rule that no two
// roots are the same tree or one inside another. Part of validateConfig (validate.ts). Pure.
import { shown, type IssueSink } from './issues.js';
import { all, whereAttr, type Node } from './schema.js';
import type { Fields } from './fields.js';
import type { FsProbe } from './fs-probe.js';
import type { LocalPath, PluginName, Remote } from './types.js';

export function localPaths(
  sersync: Node,
  f: Fields,
  sink: IssueSink,
  probe: FsProbe,
  module: PluginName | undefined,
): LocalPath[] {
  const lps = all(sersync, 'localpath');
  // -m socket|refreshCDN|http never read <sersync>; -m command only reads the watch roots.
  const strict = module === undefined;
  const rootsUsed = module === undefined || module === 'command';
  if (lps.length === 0 && rootsUsed) {
    sink.error(
      sersync.at,
      'missing-element',
      'expected at least one <localpath watch="…"> with a <remote …/> inside <sersync>: there is nothing to watch',
    );
  }
  return lps.flatMap((lp): LocalPath[] => {
    const raw = rootsUsed
      ? f.required(lp, 'watch', 'the directory to watch')
      : lp.attrs.get('watch')?.value;
    const watch = raw === undefined || raw.trim() === '' ? undefined : f.resolve(raw);
    if (watch !== undefined && rootsUsed && !probe.isDirectory(watch)) {
      // A missing root may be a disk not mounted yet: the daemon waits for it (a warning here).
      const missing = probe.mode(watch) === undefined;
      const report = strict && !missing ? sink.error.bind(sink) : sink.warn.bind(sink);
      report(
        whereAttr(lp, 'watch'),
        missing ? 'not-found' : 'wrong-file-type',
        missing
          ? `expected an existing directory, but ${shown(watch)} does not exist${strict ? ' (the service waits for it to appear: a disk not mounted yet?)' : ''}`
          : `expected an existing directory, but ${shown(watch)} is not a directory`,
      );
    }
    const remotes = all(lp, 'remote');
    if (!strict) return watch === undefined ? [] : [{ watch, remotes: [] }];
    if (remotes.length === 0)
      sink.error(
        lp.at,
        'missing-element',
        'expected at least one <remote ip="…" name="…"/> inside <localpath>, found none',
      );
    const seen = new Set<string>();
    const rs = remotes.flatMap((r): Remote[] => {
      const ip = f.required(r, 'ip', 'the rsync server address');
      const name = f.required(r, 'name', 'the rsync module (or remote path in ssh mode)');
      if (ip === undefined || name === undefined) return [];
      const key = `${ip}\0${name}`;
      if (seen.has(key)) {
        sink.warn(
          r.at,
          'duplicate-remote',
          `the remote ${shown(ip)} / ${shown(name)} is listed twice here; it is synced once`,
        );
        return [];
      }
      seen.add(key);
      return [{ ip, name }];
    });
    return watch === undefined ? [] : [{ watch, remotes: rs }];
  });
}

/** Two roots with the same path, or one inside another, would sync the same files twice. */
export function checkRoots(sersync: Node, roots: readonly LocalPath[], sink: IssueSink): void {
  const nodes = all(sersync, 'localpath').filter((lp) => lp.attrs.get('watch')?.value.trim());
  roots.forEach((r, i) => {
    const at = nodes[i] === undefined ? sersync.at : whereAttr(nodes[i], 'watch');
    for (const earlier of roots.slice(0, i)) {
      const a = r.watch;
      const b = earlier.watch;
      const inside = (x: string, y: string): boolean => y === '/' || x.startsWith(`${y}/`);
      if (a === b)
        sink.error(
          at,
          'duplicate-root',
          `expected distinct watch roots, but ${shown(a)} is already watched by an earlier <localpath>`,
        );
      else if (inside(a, b))
        sink.error(
          at,
          'nested-root',
          `expected separate trees, but ${shown(a)} lies inside the earlier watch root ${shown(b)}`,
        );
      else if (inside(b, a))
        sink.error(
          at,
          'nested-root',
          `expected separate trees, but the earlier watch root ${shown(b)} lies inside ${shown(a)}`,
        );
    }
  });
}
