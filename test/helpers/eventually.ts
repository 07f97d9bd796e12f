// Wait for a condition with a deadline (never a fixed sleep as synchronisation).

export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Describes what was awaited, for the failure message. */
  what?: string;
}

/** Polls `check` until it returns a truthy value (returned) or the deadline passes (throws with the last detail). */
export async function eventually<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 25, what = 'condition' }: EventuallyOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
