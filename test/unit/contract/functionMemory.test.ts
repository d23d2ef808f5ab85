import { describe, expect, it } from 'vitest';
import {
  batcherCpuMicrosPerRequest,
  batcherMinMemoryMb,
  defaultBatcherMemoryMb,
  durationMs,
  gbSeconds,
  memoryOptions,
  oneVcpuMemoryMb,
  recommendMemory,
} from '../../../lib/contract/functionMemory.js';

describe('function memory model: duration(M) = wait + cpu x max(1, 1769 / M)', () => {
  it('stretches only the CPU time below one vCPU, and nothing above it', () => {
    const profile = { cpuMs: 100, waitMs: 1_000 };
    expect(durationMs(profile, oneVcpuMemoryMb)).toBe(1_100);
    expect(durationMs(profile, 3_538)).toBe(1_100); // one thread gains nothing past one vCPU
    expect(durationMs(profile, oneVcpuMemoryMb / 2)).toBeCloseTo(1_200, 9);
    expect(durationMs({ cpuMs: 0, waitMs: 500 }, 128)).toBe(500);
  });

  it('bills GB-s of the whole duration, so a waiting function costs less with less memory', () => {
    const waiting = { cpuMs: 10, waitMs: 2_000 };
    expect(gbSeconds(waiting, 1_024)).toBeCloseTo((2_000 + 10 * (1_769 / 1_024)) / 1_000, 9);
    const costs = memoryOptions(waiting).map((o) => o.gbSeconds);
    // Below one vCPU, GB-s = (wait x M + cpu x 1769) / 1024: rising with M.
    const belowOneVcpu = memoryOptions(waiting).filter((o) => o.memoryMb <= oneVcpuMemoryMb);
    for (let i = 1; i < belowOneVcpu.length; i++)
      expect(belowOneVcpu[i]!.gbSeconds).toBeGreaterThan(belowOneVcpu[i - 1]!.gbSeconds);
    expect(Math.min(...costs)).toBe(costs[0]);
  });

  it('recommends the smallest size memory allows while the function mostly waits', () => {
    const waiting = { cpuMs: 20, waitMs: 3_000 };
    expect(recommendMemory(waiting, { minMemoryMb: 256 }).memoryMb).toBe(256);
    expect(recommendMemory(waiting, { minMemoryMb: 128 }).memoryMb).toBe(128);
  });

  it('moves up once the stretched CPU would slow an invocation past the bound', () => {
    // 400 ms of CPU and 600 ms of waiting: at 256 MB the CPU takes 2.8 s (3.4 s in all, 3.4x).
    const busy = { cpuMs: 400, waitMs: 600 };
    const chosen = recommendMemory(busy, { minMemoryMb: 128, maxSlowdown: 0.25 });
    expect(chosen.slowdown).toBeLessThanOrEqual(0.25);
    expect(chosen.memoryMb).toBe(1_536);
    // Every smaller candidate is too slow.
    for (const o of memoryOptions(busy).filter((x) => x.memoryMb < chosen.memoryMb))
      expect(o.slowdown).toBeGreaterThan(0.25);
    // All CPU: no size is within 1% below one vCPU; the largest candidate, not a slow one.
    expect(
      recommendMemory({ cpuMs: 1_000, waitMs: 0 }, { minMemoryMb: 128, maxSlowdown: 0.01 })
        .memoryMb,
    ).toBe(1_769);
  });

  it('refuses a memory floor above every candidate', () => {
    expect(() => recommendMemory({ cpuMs: 1, waitMs: 1 }, { minMemoryMb: 20_000 })).toThrow(
      /no candidate/,
    );
  });

  it('keeps the default batcher size what the benchmark invocation recommends', () => {
    // bench/REPORT.md: 1,000 requests per invocation, 9.7 s of wall time at 1,024 MB.
    const cpuMs = (1_000 * batcherCpuMicrosPerRequest) / 1_000;
    const profile = { cpuMs, waitMs: 9_700 - cpuMs * (oneVcpuMemoryMb / 1_024) };
    const chosen = recommendMemory(profile, { minMemoryMb: batcherMinMemoryMb });
    expect(chosen.memoryMb).toBe(defaultBatcherMemoryMb);
    expect(chosen.slowdown).toBeLessThan(0.1);
    // A quarter of the GB-s the old 1,024 MB default billed, or less.
    expect(chosen.gbSeconds / gbSeconds(profile, 1_024)).toBeLessThan(0.27);
  });
});
