// Test fixtures for the plugin tests: a complete Config with chosen plugin sections, and a fake Clock.
import type { Config, PluginsConfig } from '../../../src/config/types.js';
import { testConfig } from '../../helpers/config-fixture.js';
import type { Clock } from '../../../src/util/clock.js';

export { rule } from '../../helpers/config-fixture.js';

/** A valid Config whose sersync roots are `roots` and whose plugin sections are `plugins`. */
export function makeConfig(
  plugins: PluginsConfig,
  roots: readonly string[] = ['/opt/tongbu'],
): Config {
  return testConfig({ plugins, roots, remotes: [{ ip: '127.0.0.1', name: 'tongbu' }] });
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
      const due = this.#timers
        .filter((t) => t.at <= end)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
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
