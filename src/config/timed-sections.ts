// The two timed sections of <sersync>: <failLog> (retry interval and cap, state directory) and
// <crontab> (the full-sync interval and its <crontabfilter>). Part of validateConfig
// (validate.ts). Pure.
import { shown, type IssueSink } from './issues.js';
import { all, whereAttr, type Node } from './schema.js';
import { child, type Fields, type IntRule } from './fields.js';
import { DEFAULTS, type CrontabConfig, type FailLogConfig } from './types.js';
import { processLocations } from '../state/locations.js';

const MINUTE_MS = 60_000;
/** Node timers overflow above 2^31-1 ms (~24.8 days): longer intervals would fire at once. */
const MAX_TIMER_MIN = Math.floor(0x7fffffff / MINUTE_MS);
const MINUTES: IntRule = { min: 1, max: MAX_TIMER_MIN, what: 'a whole number of minutes' };
const CAP_SECONDS: IntRule = { min: 1, max: 86_400, what: 'a whole number of seconds' };

/** <failLog>, and where this instance keeps its files by default (outside world-writable dirs). */
export function failLogSection(
  sersyncN: Node,
  f: Fields,
  absFile: string,
): { failLog: FailLogConfig; where: ReturnType<typeof processLocations> } {
  const flN = child(sersyncN, 'failLog');
  const failPath = f.path(flN, 'path', DEFAULTS.failLogPath, 'a fail-log file path');
  const where = processLocations(absFile); // outside world-writable dirs (docs/security.md)
  const stateDir = f.path(flN, 'stateDir', where.stateDir, 'a state directory');
  const failLog = {
    path: failPath,
    retryIntervalMs: f.int(flN, 'timeToExecute', DEFAULTS.timeToExecuteMin, MINUTES) * MINUTE_MS,
    retryCapMs: f.int(flN, 'retryCap', DEFAULTS.retryCapSeconds, CAP_SECONDS) * 1000,
    stateDir,
  };
  return { failLog, where };
}

export function crontab(
  sersync: Node,
  filterOn: boolean,
  f: Fields,
  sink: IssueSink,
): CrontabConfig {
  const n = child(sersync, 'crontab');
  const enabled = f.bool(n, 'start', false);
  let intervalMin: number = DEFAULTS.crontabScheduleMin;
  const sched = n.attrs.get('schedule')?.value;
  if (sched !== undefined) {
    const v = /^\s*-?\d+\s*$/.test(sched) ? Number(sched) : NaN;
    if (Number.isSafeInteger(v) && v > 0 && v <= MAX_TIMER_MIN) intervalMin = v;
    else if (Number.isSafeInteger(v) && v > MAX_TIMER_MIN)
      sink.error(
        whereAttr(n, 'schedule'),
        'bad-number',
        `expected a whole number of minutes 1-${MAX_TIMER_MIN}, got ${shown(sched)}`,
      );
    else
      sink.warn(
        whereAttr(n, 'schedule'),
        'value-replaced',
        `expected a whole number of minutes > 0, got ${shown(sched)}; it counts as ${DEFAULTS.crontabScheduleMin} minutes (as in sersync 2.5.4)`,
      );
  }
  const cf = child(n, 'crontabfilter');
  const filterEnabled = f.bool(cf, 'start', false);
  const patterns = all(cf, 'exclude').flatMap((e) => {
    const p = f.required(e, 'expression', 'an rsync exclude pattern');
    return p === undefined ? [] : [p];
  });
  const excludes = filterEnabled ? patterns : [];
  if (enabled && filterOn && excludes.length === 0) {
    const reason =
      'the realtime <filter> is on but <crontabfilter> has no active <exclude>, so a full sync would copy the filtered files (the sersync 2.5.4 rule)';
    sink.warn(whereAttr(n, 'start'), 'crontab-disabled', `crontab is switched off: ${reason}`);
    return {
      enabled: false,
      intervalMs: intervalMin * MINUTE_MS,
      excludes,
      filterEnabled,
      disabledReason: reason,
    };
  }
  return { enabled, intervalMs: intervalMin * MINUTE_MS, excludes, filterEnabled };
}
