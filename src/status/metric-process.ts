// The standard process and Node.js metrics (prom-client's names), computed only at a scrape:
// CPU, start time, memory, file descriptors (Linux /proc; left out where it cannot be read),
// V8 heap and the Node.js version. No timers, no observers. Shell: reads /proc/self.
import { readdirSync, readFileSync } from 'node:fs';
import { Counter, Gauge, type Registry } from './metric-types.js';

/** `VmRSS`-style kB fields of /proc/self/status, in bytes; {} where /proc is not there. */
function procStatus(): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(\w+):\s+(\d+) kB$/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return {};
  }
}

function openFds(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length - 1; // the directory's own descriptor
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

const START = Math.round(Date.now() / 1000 - process.uptime());

/** Registers the process and Node.js metrics in `registry`; each is read at a scrape. */
export function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number | undefined): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        const v = read();
        if (v === undefined) this.reset();
        else this.set(v);
      },
    });
  };
  let cpu = process.cpuUsage();
  let status: Record<string, number> = {};
  const cpuCounter = (name: string, help: string, pick: () => number): void => {
    const c = new Counter({ name, help, registers });
    const lines = c.lines.bind(c);
    c.lines = () => {
      c.reset();
      c.inc(pick());
      return lines();
    };
  };
  cpuCounter('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', () => {
    cpu = process.cpuUsage(); // read first: the two others follow in the same scrape
    return cpu.user / 1e6;
  });
  cpuCounter(
    'process_cpu_system_seconds_total',
    'Total system CPU time spent in seconds.',
    () => cpu.system / 1e6,
  );
  cpuCounter(
    'process_cpu_seconds_total',
    'Total user and system CPU time spent in seconds.',
    () => (cpu.user + cpu.system) / 1e6,
  );
  gauge(
    'process_start_time_seconds',
    'Start time of the process since unix epoch in seconds.',
    () => START,
  );
  gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', () => {
    status = procStatus();
    return status['VmRSS'] ?? process.memoryUsage.rss();
  });
  gauge('process_virtual_memory_bytes', 'Virtual memory size in bytes.', () => status['VmSize']);
  gauge('process_heap_bytes', 'Process heap size in bytes.', () => status['VmData']);
  gauge('process_open_fds', 'Number of open file descriptors.', openFds);
  gauge('process_max_fds', 'Maximum number of open file descriptors.', maxFds);
  let heap = process.memoryUsage();
  gauge('nodejs_heap_size_total_bytes', 'Process heap size from Node.js in bytes.', () => {
    heap = process.memoryUsage();
    return heap.heapTotal;
  });
  gauge(
    'nodejs_heap_size_used_bytes',
    'Process heap size used from Node.js in bytes.',
    () => heap.heapUsed,
  );
  gauge(
    'nodejs_external_memory_bytes',
    'Node.js external memory size in bytes.',
    () => heap.external,
  );
  const [major = '', minor = '', patch = ''] = process.versions.node.split('.');
  new Gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version info.',
    labelNames: ['version', 'major', 'minor', 'patch'],
    registers,
  }).set({ version: process.version, major, minor, patch }, 1);
}
