// (ssh) a lone small file in ssh mode against a real OpenSSH sshd on 127.0.0.1 (scripts/lib/sshd.ts),
// against the floor of one bare `rsync -a -e ssh` of a small file to the same sshd (a whole
// handshake). The service shares one connection per login (src/sync/ssh-master.ts); the same
// changes with `-e ssh` in commonParams (the shared connection off) show what each run paid
// before. Ours only (--compare: skipped). Not a test.
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { confXml } from '../lib/conf-xml.js';
import { startSshd, type Sshd } from '../lib/sshd.js';
import {
  QUICK,
  dropEnv,
  freshEnv,
  now,
  pct,
  rows,
  sleep,
  startSvc,
  until,
  type Env,
  type Workload,
} from './common.js';

/** The bench's environment plus where the floor's bare rsync writes (beside the target). */
type SshEnv = Env & { floorDir: string };

/** Writes the ssh-mode confxml.xml of `env` (target: env.dst through ssh to 127.0.0.1). */
function sshConf(env: SshEnv, commonParams: string): void {
  const xml = confXml({
    roots: [{ watch: env.src, remotes: [{ ip: '127.0.0.1', name: env.dst }] }],
    port: 874,
    failLog: join(env.base, 'fail.sh'),
    timeoutSeconds: false,
    statusPort: env.statusPort,
    commonParams,
  })
    .replace('<ssh start="false"/>', '<ssh start="true"/>')
    .replace('<userDefinedPort start="true" port="874"/>', '<userDefinedPort start="false"/>');
  writeFileSync(env.conf, xml);
}

/** One bare `rsync -a -e ssh` of a 100-byte file to the sshd: its wall time (ms). */
function bareRsync(env: SshEnv, name: string): number {
  const t0 = now();
  const r = spawnSync('rsync', [
    '-a',
    '-e',
    'ssh',
    join(env.base, 'one.txt'),
    `127.0.0.1:${env.floorDir}/${name}`,
  ]);
  if (r.status !== 0) throw new Error(`bare rsync -e ssh failed: ${r.stderr.toString()}`);
  return now() - t0;
}

/** `n` lone files, each awaited at the target (1 ms polls) and 200 ms apart: their latencies. */
async function loneChanges(
  env: SshEnv,
  n: number,
  tag: string,
): Promise<{ lat: number[]; floors: number[] }> {
  const lat: number[] = [];
  const floors: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${tag}${i}.txt`;
    // The floor right before each change (interleaved: a machine whose load drifts skews both alike).
    floors.push(bareRsync(env, name));
    await sleep(50);
    const t0 = now();
    writeFileSync(join(env.src, name), 'x'.repeat(100));
    await until(
      () => {
        try {
          return statSync(join(env.dst, name)).size === 100;
        } catch {
          return false;
        }
      },
      20_000,
      `${name} over ssh`,
      1,
    );
    lat.push(now() - t0);
    await sleep(200);
  }
  return { lat, floors };
}

interface Measured {
  readonly own: boolean;
  readonly lat: number[];
  readonly floors: number[];
  /** sshd's logins while the changes were synced. */
  readonly logins: number;
}

/** The service in ssh mode (`own`: with `-e ssh` in commonParams, no shared connection). */
async function measure(env: SshEnv, sshd: Sshd, n: number, own: boolean): Promise<Measured> {
  const commonParams = own ? `-artuz -e ssh` : '-artuz';
  sshConf(env, commonParams);
  const svc = await startSvc(env, 'ours');
  const logins0 = sshd.logins();
  const { lat, floors } = await loneChanges(env, n, own ? 'own' : 'w');
  const logins = sshd.logins() - logins0 - floors.length;
  await svc.stop();
  return { own, lat, floors, logins };
}

async function ssh(label: string): Promise<void> {
  if (label !== 'ours') {
    process.stderr.write('ssh: measured for ours only\n');
    return;
  }
  const env = { ...(await freshEnv('ssh')), floorDir: '' };
  env.floorDir = join(env.base, 'floor');
  const sshd = await startSshd(join(env.base, 'sshd'));
  const path0 = process.env['PATH'] ?? '';
  // rsync's `ssh` (and the service's) is the wrapper that reaches the loopback sshd.
  process.env['PATH'] = `${sshd.binDir}:${path0}`;
  try {
    const n = QUICK ? 10 : 30;
    writeFileSync(join(env.base, 'one.txt'), 'x'.repeat(100));
    mkdirSync(env.floorDir);
    const results = [await measure(env, sshd, n, false)];
    if (!QUICK) results.push(await measure(env, sshd, n, true));
    for (const { own, lat, floors, logins } of results)
      for (const p of [50, 90]) {
        const floor = pct(floors, p);
        rows.push({
          workload: `ssh: lone change p${p}${own ? ', shared connection off (-e ssh in commonParams)' : ''}`,
          service: label,
          value: pct(lat, p),
          unit: 'ms',
          floor,
          ratio: pct(lat, p) / floor,
          runs: lat.length,
          note: `ssh logins for ${lat.length} changes: ${logins}; floor = one bare rsync -e ssh of a 100-byte file to the same sshd (p${p} of ${floors.length}, each right before a change); goal ratio <= 0.6`,
        });
      }
  } finally {
    process.env['PATH'] = path0;
    await sshd.stop();
    await dropEnv(env);
  }
}

export const sshWorkloads: Record<string, Workload> = { ssh };
