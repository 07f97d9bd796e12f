// The safety net for raw bytes in operator text (log lines, the status endpoint). Pure.
// Modules show a path with displayName() (src/util/byte-names.ts); a BytePath interpolated as it
// is still holds lone surrogates, which a UTF-8 stream writes as U+FFFD: this writes them as the
// `\xfc` displayName() uses instead, so no byte is ever lost to the operator.

const RAW_BYTES = /[\udc80-\udcff]/gu;

/** `text` with each raw byte of a BytePath (lone surrogate U+DC80..U+DCFF) written as `\xNN`. */
export function showRawBytes(text: string): string {
  return text.replace(RAW_BYTES, (ch) => `\\x${(ch.charCodeAt(0) - 0xdc00).toString(16)}`);
}
