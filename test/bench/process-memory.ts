import { existsSync, readdirSync, readFileSync } from "node:fs";

/** `root` and every process below it (e.g. cluster workers), from /proc; empty where /proc is missing. */
export function processTree(root: number): Set<number> {
  const tree = new Set<number>([root]);
  if (!existsSync("/proc")) return tree;
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")".
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  return tree;
}

/** Resident memory of these processes together, in bytes (VmRSS from /proc); NaN where unknown. */
function residentBytes(pids: Iterable<number>): number {
  let total = 0;
  let known = false;
  for (const pid of pids) {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      if (kb !== undefined) {
        total += Number(kb) * 1024;
        known = true;
      }
    } catch {
      // exited meanwhile
    }
  }
  return known ? total : Number.NaN;
}

/** Samples the resident memory of a process tree (as it is now) every `intervalMs` until stopped; returns the peak. */
export function sampleResidentPeak(root: number, intervalMs = 200): { stop(): number } {
  const tree = processTree(root);
  let peak = Number.NaN;
  const sample = () => {
    const bytes = residentBytes(tree);
    if (!Number.isNaN(bytes) && !(bytes <= peak)) peak = bytes;
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
