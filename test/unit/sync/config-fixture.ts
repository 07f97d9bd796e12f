// A complete Config for the sync tests (root /opt/tongbu unless given, two remotes). Pure.
import type { Config, RsyncConfig } from '../../../src/config/types.js';
import { testConfig } from '../../helpers/config-fixture.js';

export interface FixtureOptions {
  readonly root?: string;
  readonly remotes?: readonly { ip: string; name: string }[];
  readonly excludes?: readonly string[];
  readonly debug?: boolean;
}

/** Builds a Config; `rsync` overrides the rsync section, `del` the inotify delete switch. */
export function makeConfig(
  rsync: Partial<RsyncConfig> = {},
  del = true,
  o: FixtureOptions = {},
): Config {
  return testConfig({
    roots: [o.root ?? '/opt/tongbu'],
    remotes: o.remotes ?? [
      { ip: '127.0.0.1', name: 'tongbu1' },
      { ip: '127.0.0.2', name: 'm2' },
    ],
    rsync,
    inotify: { delete: del },
    excludes: o.excludes ?? [],
    debug: o.debug ?? false,
  });
}
