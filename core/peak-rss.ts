/**
 * Peak resident memory from Linux's /proc/<pid>/status text: VmHWM, the largest RSS the process
 * has had since it last exec'd (VmRSS where the kernel does not report VmHWM). Unlike getrusage's
 * ru_maxrss, it does not carry a parent's size over exec.
 */
export function peakRssFromStatus(status: string): number | undefined {
  const kilobytes = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kilobytes === undefined ? undefined : Number(kilobytes) * 1024;
}
