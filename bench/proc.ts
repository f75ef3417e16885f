// What the kernel says about a process or the whole box (Linux /proc), so the benchmark can
// show who was using the two cores during each phase.
import fs from 'node:fs';
import os from 'node:os';

const CLOCK_TICKS = 100; // USER_HZ; `getconf CLK_TCK` is 100 on Linux x86/arm.

/** Resident set size in bytes, as the kernel counts it (VmRSS). */
export function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = status.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) * 1024 : NaN;
}

function boxTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]; // "cpu  user nice system idle iowait ..."
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // guest/guest_nice (fields 9-10) are already inside user/nice.
  const total = values.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = values[3] + (values[4] ?? 0);
  return { busy: total - idle, total };
}

/** CPU seconds of every process on the box, with its command name. */
function allProcesses(): Map<number, { comm: string; cpu: number }> {
  const result = new Map<number, { comm: string; cpu: number }>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      result.set(Number(entry), { comm, cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
    } catch {
      // exited while we looked
    }
  }
  return result;
}

/** A Node process's CPU seconds by thread kind: JS main thread, libuv pool (argon2), V8 helpers (GC, compiler). */
export type ThreadSplit = { main: number; pool: number; helpers: number };

/** CPU seconds of each thread of a process (by thread id), with its name and the system-time part. */
export function threadsOf(pid: number): Map<string, { comm: string; cpu: number; sys: number }> {
  const result = new Map<string, { comm: string; cpu: number; sys: number }>();
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        result.set(tid, { comm, cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS, sys: Number(fields[12]) / CLOCK_TICKS });
      } catch {
        // thread ended
      }
    }
  } catch {
    // process ended
  }
  return result;
}

/** CPU seconds of a whole process, all threads. */
export function processCpu(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function threadSplit(before: Map<string, { comm: string; cpu: number }>, after: Map<string, { comm: string; cpu: number }>, seconds: number): ThreadSplit {
  const split = { main: 0, pool: 0, helpers: 0 };
  for (const [tid, { comm, cpu }] of after) {
    const used = (cpu - (before.get(tid)?.cpu ?? 0)) / seconds;
    if (comm === 'libuv-worker') split.pool += used;
    else if (comm === 'MainThread' || comm === 'node') split.main += used;
    else split.helpers += used;
  }
  return split;
}

export type CpuReport = {
  /** Cores used by each named process (1.0 = one core busy the whole time). */
  perPid: Record<string, number>;
  /** The same, split by thread kind. */
  threads: Record<string, ThreadSplit>;
  /** This process (the load generator), all its threads. */
  self: number;
  /** PostgreSQL (all its processes, whoever they serve) and Redis. */
  postgres: number;
  redis: number;
  /** Whatever else kept the box busy: other people's tests, the kernel, processes that came and went. */
  other: number;
  /** Busy cores of the whole box. */
  box: number;
  cores: number;
  /** Length of the measured span. */
  seconds: number;
};

/** Starts a CPU meter for some named processes; `stop()` says who used the cores meanwhile. */
export function cpuMeter(pids: Record<string, number>) {
  const started = performance.now();
  const boxStart = boxTicks();
  const before = allProcesses();
  const threadsBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, threadsOf(pid)]));
  return {
    stop(): CpuReport {
      const seconds = (performance.now() - started) / 1000;
      const boxEnd = boxTicks();
      const after = allProcesses();
      const used = (pid: number) => (after.get(pid)?.cpu ?? 0) - (before.get(pid)?.cpu ?? 0);
      const byComm = (name: string) =>
        [...after].filter(([, p]) => p.comm === name).reduce((sum, [pid]) => sum + used(pid), 0) / seconds;
      const perPid = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, used(pid) / seconds]));
      const threads = Object.fromEntries(
        Object.entries(pids).map(([name, pid]) => [name, threadSplit(threadsBefore[name], threadsOf(pid), seconds)]),
      );
      const self = used(process.pid) / seconds;
      const postgres = byComm('postgres');
      const redis = byComm('redis-server');
      const cores = os.availableParallelism();
      const box = ((boxEnd.busy - boxStart.busy) / Math.max(1, boxEnd.total - boxStart.total)) * cores;
      const known = Object.values(perPid).reduce((a, b) => a + b, 0) + self + postgres + redis;
      return { perPid, threads, self, postgres, redis, other: Math.max(0, box - known), box, cores, seconds };
    },
  };
}

/** Time-weighted average of several spans measured for the same processes. */
export function averageCpu(reports: CpuReport[]): CpuReport {
  const seconds = reports.reduce((s, r) => s + r.seconds, 0);
  const avg = (pick: (r: CpuReport) => number) => reports.reduce((s, r) => s + pick(r) * r.seconds, 0) / seconds;
  const names = Object.keys(reports[0].perPid);
  return {
    perPid: Object.fromEntries(names.map((name) => [name, avg((r) => r.perPid[name])])),
    threads: Object.fromEntries(
      names.map((name) => [
        name,
        { main: avg((r) => r.threads[name].main), pool: avg((r) => r.threads[name].pool), helpers: avg((r) => r.threads[name].helpers) },
      ]),
    ),
    self: avg((r) => r.self),
    postgres: avg((r) => r.postgres),
    redis: avg((r) => r.redis),
    other: avg((r) => r.other),
    box: avg((r) => r.box),
    cores: reports[0].cores,
    seconds,
  };
}
