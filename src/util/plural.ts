// `1 directory`, `2 directories`: counts in operator messages. Pure.

/** `n` followed by the singular or the plural noun. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
