"""The request loop of the benchmarks' CPython timing servers (`bench_cpython.py --serve` and
`bench_cpython_dumps.py --serve`), whose answers benches/common/cpython.rs parses.

`serve(time_one)` prints `ready`, then reads commands from stdin, one a line, until its end.
`time_one(command)` returns the seconds the timed call took and the size of its input or
output; the answer is `ok ms=... bytes=...`, or `error MESSAGE` if it raised.

The timeouts are the server's own, so that the benchmark can read its answers with plain
blocking reads and stay single-threaded (see benches/common/cpython.rs): the environment
variable `PYPICKLE_BENCH_TIMEOUTS="START ANSWER"` (seconds) bounds the time from import to
`ready` and each request; past either, SIGALRM ends the server, which the benchmark sees as
the end of its answers. An alarm, not `faulthandler`'s watchdog, which is a thread: this
process must stay single-threaded too, or glibc's malloc would take its slower paths here.
"""

import os
import signal
import sys

_TIMEOUTS = [int(t) for t in os.environ.get("PYPICKLE_BENCH_TIMEOUTS", "").split()]
_ALARM = len(_TIMEOUTS) == 2 and hasattr(signal, "alarm")
if _ALARM:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # the default action ends the process
    signal.alarm(_TIMEOUTS[0])


def serve(time_one):
    if _ALARM:
        signal.alarm(0)
    print("ready", flush=True)
    for line in sys.stdin:
        if _ALARM:
            signal.alarm(_TIMEOUTS[1])
        try:
            took, size = time_one(line.strip())
            reply = f"ok ms={took * 1e3:.6f} bytes={size}"
        except Exception as e:  # answer, and let the caller decide
            reply = "error " + f"{type(e).__name__}: {e}".replace("\n", " ")
        if _ALARM:
            signal.alarm(0)
        print(reply, flush=True)
