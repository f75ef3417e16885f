// In a child process: V8 CPU profiling switched on and off by the orchestrator (IPC), so a
// profile covers one measured phase only, not start-up and set-up (BENCH_CPU_PROF=<dir>).
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';

let session: Session | undefined;

export const profilerCommands = {
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
