// conf/sersync.service, the documented example unit: the generator's output for the template
// conf/confxml.xml installed as /etc/sersync/confxml.xml, with ExecStart finding `sersync` on
// systemd's PATH so it works whatever npm's prefix is (/usr/local/bin or /usr/bin). A test keeps
// the file equal to this. Regenerate: node dist/src/systemd/example.js > conf/sersync.service
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/types.js';
import { systemdUnit } from './unit.js';

export const EXAMPLE_CONFIG_FILE = '/etc/sersync/confxml.xml';

const HEADER = `# Example systemd unit for sersync, for the template conf/confxml.xml copied to
# ${EXAMPLE_CONFIG_FILE} (its fail log is /tmp/rsync_fail_log.sh). Better: generate the unit
# for your install and your config, with absolute paths and the directories your config writes:
#   sersync --systemd-unit -o ${EXAMPLE_CONFIG_FILE} | sudo tee /etc/systemd/system/sersync.service
# Either way: systemctl daemon-reload && systemctl enable --now sersync (docs/install.md).
# Change it with \`systemctl edit sersync\` (a drop-in) rather than by editing this file.
# ExecStart: /usr/bin/env finds sersync on systemd's PATH (/usr/local/bin, then /usr/bin).`;

/** The example unit's text for the loaded template config. Pure. */
export function exampleUnit(template: Pick<Config, 'sersync' | 'host'>): string {
  return systemdUnit({
    command: ['/usr/bin/env', 'sersync'],
    configFile: EXAMPLE_CONFIG_FILE,
    config: template,
    notify: true,
    header: HEADER,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { loadConfig } = await import('../config/load.js');
  const r = await loadConfig(fileURLToPath(new URL('../../../conf/confxml.xml', import.meta.url)), {
    cwd: '/',
  });
  if (!r.ok) throw new Error(`conf/confxml.xml does not load: ${JSON.stringify(r.error)}`);
  process.stdout.write(exampleUnit(r.value.config));
}
