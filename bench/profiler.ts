// In a child process: V8 CPU profiling (and allocation sampling, and a count of what scavenges promote)
// switched on and off by the orchestrator (IPC), so a measure covers one phase only, not start-up and
// set-up (BENCH_CPU_PROF=<dir>; test/integration/operations/young-garbage.test.ts).
import fs from 'node:fs';
import v8 from 'node:v8';
import { Session } from 'node:inspector/promises';

let session: Session | undefined;
let gcProfiler: v8.GCProfiler | undefined;

type SpaceStats = { spaceName: string; spaceUsedSize: number };
type GcEntry = { gcType: string; beforeGC: { heapSpaceStatistics: SpaceStats[] }; afterGC: { heapSpaceStatistics: SpaceStats[] } };
const oldSpaceUsed = (spaces: SpaceStats[]) => spaces.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0;

export const profilerCommands = {
  /** Counts what this process's scavenges move to the old space from now on (v8.GCProfiler). */
  async promotionStart() {
    gcProfiler = new v8.GCProfiler();
    gcProfiler.start();
    return true;
  },
  /** Bytes the old space gained across scavenges since promotionStart, and how many scavenges ran. */
  async promotionStop() {
    if (!gcProfiler) throw new Error('promotion count not started');
    const { statistics } = gcProfiler.stop() as unknown as { statistics: GcEntry[] };
    gcProfiler = undefined;
    const scavenges = statistics.filter((g) => g.gcType === 'Scavenge');
    const promoted = scavenges.reduce((sum, g) => sum + Math.max(0, oldSpaceUsed(g.afterGC.heapSpaceStatistics) - oldSpaceUsed(g.beforeGC.heapSpaceStatistics)), 0);
    return { promoted, scavenges: scavenges.length };
  },
  async profileStart() {
    session ??= new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
    return true;
  },
  /** Allocation sampling (BENCH_HEAP_PROF): where the garbage of a measured phase is made. */
  async heapProfileStart() {
    session ??= new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    // BENCH_HEAP_PROMOTED=1 leaves out what the young generation collects: what is left was promoted
    // to the old space (survived two scavenges), which is what makes major GCs and old-space growth.
    const promotedOnly = process.env.BENCH_HEAP_PROMOTED === '1';
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !promotedOnly });
    return true;
  },
  async heapProfileStop({ file }: Record<string, unknown>) {
    if (!session) throw new Error('profiler not started');
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    fs.writeFileSync(String(file), JSON.stringify(profile));
    return file;
  },
  async profileStop({ file }: Record<string, unknown>) {
    if (!session) throw new Error('profiler not started');
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    fs.writeFileSync(String(file), JSON.stringify(profile));
    return file;
  },
};
