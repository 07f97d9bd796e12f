// `sersync --systemd-unit -o FILE`: gathers what the unit depends on from this install and the
// loaded config, and returns the unit's text (src/systemd/unit.ts). Shell.
import { resolve } from 'node:path';
import type { Config } from '../config/types.js';
import { loadSdNotify, PACKAGE_ROOT } from '../watch/native-binding.js';
import { execStartCommand } from './exec-start.js';
import { systemdUnit } from './unit.js';

export function unitForThisInstall(config: Config, configFile: string, cwd: string): string {
  return systemdUnit({
    command: execStartCommand({ execPath: process.execPath, script: process.argv[1] ?? '', cwd }),
    configFile: resolve(cwd, configFile),
    config,
    notify: loadSdNotify().ok,
    packageDir: PACKAGE_ROOT,
  });
}
