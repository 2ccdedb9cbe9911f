import { existsSync, readdirSync, readFileSync } from "node:fs";

/**
 * CPU time per process from /proc (Linux only), to show where the machine's cores went during a
 * phase: the load generator, the service, PostgreSQL, Kafka, and anything else running.
 */
export interface CpuSnapshot {
  readonly atMs: number;
  /** utime + stime in clock ticks, the command name and the start time (to tell a reused pid), per pid. */
  readonly procs: ReadonlyMap<number, { readonly comm: string; readonly ticks: number; readonly start: string }>;
  /** Machine-wide ticks from /proc/stat. */
  readonly busyTicks: number;
  readonly totalTicks: number;
}

/** Which processes make up a named group. */
export interface CpuGroup {
  readonly name: string;
  readonly match: (pid: number, comm: string) => boolean;
}

export interface CpuUsage {
  readonly wallMs: number;
  /** Share of all cores that was busy, 0-100. */
  readonly machineBusyPct: number;
  /** CPU time per group as cores used on average (1.0 = one core busy for the whole phase). */
  readonly groups: readonly { readonly name: string; readonly cores: number }[];
}

// USER_HZ: 100 on every mainstream Linux build (sysconf(_SC_CLK_TCK)).
const TICKS_PER_SECOND = 100;

/** A snapshot, or undefined where /proc is missing (not Linux). */
export function cpuSnapshot(): CpuSnapshot | undefined {
  if (!existsSync("/proc/stat")) return undefined;
  const atMs = performance.now();
  const procs = new Map<number, { comm: string; ticks: number; start: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ..." - comm may contain spaces and parentheses: split at the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15, starttime is field 22.
    const ticks = Number(fields[11]) + Number(fields[12]);
    if (Number.isFinite(ticks)) procs.set(Number(entry), { comm, ticks, start: fields[19] ?? "" });
  }
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = cpu;
  const totalTicks = user + nice + system + idle + iowait + irq + softirq + steal;
  return { atMs, procs, busyTicks: totalTicks - idle - iowait, totalTicks };
}

/** CPU used between two snapshots, per group; processes matching no group are counted as "other". */
export function cpuUsage(before: CpuSnapshot | undefined, after: CpuSnapshot | undefined, groups: readonly CpuGroup[]): CpuUsage | undefined {
  if (!before || !after) return undefined;
  const wallMs = after.atMs - before.atMs;
  const totals = new Map<string, number>(groups.map((g) => [g.name, 0]));
  totals.set("other", 0);
  for (const [pid, now] of after.procs) {
    const then = before.procs.get(pid);
    // A process started after `before` (or a reused pid) counts from zero. (Kernel threads change comm.)
    const delta = then && then.start === now.start ? now.ticks - then.ticks : now.ticks;
    if (delta <= 0) continue;
    const group = groups.find((g) => g.match(pid, now.comm))?.name ?? "other";
    totals.set(group, (totals.get(group) ?? 0) + delta);
  }
  const seconds = wallMs / 1000;
  const totalDelta = after.totalTicks - before.totalTicks;
  return {
    wallMs,
    machineBusyPct: totalDelta > 0 ? (100 * (after.busyTicks - before.busyTicks)) / totalDelta : Number.NaN,
    groups: [...totals].map(([name, ticks]) => ({ name, cores: seconds > 0 ? ticks / TICKS_PER_SECOND / seconds : Number.NaN })),
  };
}
