// Exhaustiveness helper for `switch` over unions. Pure.

/** Call in the `default` branch of an exhaustive switch; the compiler proves it unreachable. */
export function unreachable(value: never): never {
  throw new Error(`Internal error: unreachable value ${JSON.stringify(value)}`);
}
