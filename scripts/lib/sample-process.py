#!/usr/bin/env python3
"""Samples a process's CPU time and resident set size from /proc once per interval until it exits or is signalled.
Usage: sample-process.py PID OUT_JSONL [interval_seconds=1]. Each line: {"t": unix seconds, "cpu_seconds": user+system
CPU seconds since the process started, "rss_bytes": resident set size}. Used by scripts/loadtest."""
import json, os, signal, sys, time

pid, out = int(sys.argv[1]), sys.argv[2]
interval = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
ticks = os.sysconf("SC_CLK_TCK")
page = os.sysconf("SC_PAGE_SIZE")
running = True
signal.signal(signal.SIGTERM, lambda *_: globals().__setitem__("running", False))


def sample():
    with open(f"/proc/{pid}/stat") as f:
        # Fields after the command name (which may contain spaces): state is field 3, utime 14, stime 15.
        fields = f.read().rsplit(")", 1)[1].split()
    with open(f"/proc/{pid}/statm") as f:
        rss_pages = int(f.read().split()[1])
    return {"t": time.time(), "cpu_seconds": (int(fields[11]) + int(fields[12])) / ticks, "rss_bytes": rss_pages * page}


with open(out, "a") as f:
    while running:
        try:
            f.write(json.dumps(sample()) + "\n")
            f.flush()
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(interval)
