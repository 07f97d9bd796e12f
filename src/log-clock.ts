// The log's local timestamp `YYYY-MM-DD HH:mm:ss` (text lines), formatted from Date by hand and
// cached for the second it names, so a burst of lines in one second formats it once. Pure apart
// from reading the clock in `createClock`.

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `ms` (epoch milliseconds) as local `YYYY-MM-DD HH:mm:ss` (the process's time zone). */
export function localTime(ms: number): string {
  const d = new Date(ms);
  const y = d.getFullYear();
  const year = y >= 1000 ? String(y) : String(y).padStart(4, '0');
  return (
    `${year}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`
  );
}

/** A `localTime` that formats each second once; `now` is the clock (default Date.now). */
export function createClock(now: () => number = Date.now): () => string {
  let second = Number.NaN;
  let text = '';
  return () => {
    const s = Math.floor(now() / 1000);
    if (s !== second) {
      second = s;
      text = localTime(s * 1000);
    }
    return text;
  };
}
