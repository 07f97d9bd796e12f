// Test fixtures for the plugin tests: a complete Config with chosen plugin sections, and a fake Clock.
import { DEFAULTS, type Config, type PluginsConfig, type RegexRule } from '../../../src/config/types.js';
import type { Clock } from '../../../src/util/clock.js';

/** A full-match rule as the config loader builds it. */
export function rule(expression: string): RegexRule {
  return { expression, regex: new RegExp(`^(?:${expression})$`) };
}

/** A valid Config whose sersync roots are `roots` and whose plugin sections are `plugins`. */
export function makeConfig(plugins: PluginsConfig, roots: readonly string[] = ['/opt/tongbu']): Config {
  return {
    file: '/etc/confxml.xml',
    host: { enabled: false, hostip: 'localhost', port: 8008 },
    debug: false,
    xfs: false,
    filter: { enabled: false, excludes: [] },
    inotify: DEFAULTS.inotify,
    sersync: {
      localpaths: roots.map((watch) => ({ watch, remotes: [{ ip: '127.0.0.1', name: 'tongbu' }] })),
      rsync: {
        commonParamsRaw: '-artuz',
        commonParams: ['-artuz'],
        auth: { enabled: false, users: 'root', passwordFile: '/etc/rsync.pas' },
        userDefinedPort: { enabled: false, port: 874 },
        timeout: { enabled: false, seconds: 100 },
        ssh: { enabled: false },
      },
      failLog: { path: '/tmp/rsync_fail_log.sh', retryIntervalMs: 3_600_000, retryCapMs: 60_000, stateDir: '/tmp/s' },
      crontab: { enabled: false, intervalMs: 36_000_000, excludes: [], filterEnabled: false },
      plugin: { enabled: false, name: 'command' },
    },
    plugins,
    daemon: { watcher: 'auto', skipEditorTemp: true, quietMs: 20, pidFile: '/tmp/s/p', logFile: '/tmp/s/l' },
  };
}

/** A manual clock: timers fire only inside `advance(ms)`. */
export class FakeClock implements Clock {
  #now = 0;
  #timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;
  now(): number {
    return this.#now;
  }
  setTimeout(fn: () => void, ms: number): () => void {
    const id = this.#next++;
    this.#timers.push({ at: this.#now + Math.max(0, ms), fn, id });
    return () => {
      this.#timers = this.#timers.filter((t) => t.id !== id);
    };
  }
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t.id !== due.id);
      this.#now = due.at;
      due.fn();
    }
    this.#now = end;
  }
  get pending(): number {
    return this.#timers.length;
  }
}

/** Lets queued microtasks and promise chains run (no timers involved). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
