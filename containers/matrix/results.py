"""Collecting one environment's results for the reader: runner.tsv (what the
runner saw of each binary) and env.tsv (the run's figures and status). The
verdict itself is the reader's (verdict/verdict.py --matrix)."""

import os

from .common import read, write

# Exit statuses of a binary the per-binary timeout killed (timeout -s KILL
# gives 137; 124 and 143 from a TERM).
KILLED = ("124", "137", "143")


def write_runner_tsv(d, bindir, btimeout, status, cut_short, env_killed):
    """One line per binary: binary, exit status, killed (1 when killed at a
    deadline: its own or the environment's), note."""
    lines = ["binary\texit\tkilled\tnote"]
    for b in sorted(os.listdir(bindir)):
        rcf = os.path.join(d, b + ".rc")
        rc = read(rcf).strip()
        if os.path.exists(rcf):
            os.remove(rcf)
        killed, note = "0", ""
        if rc in KILLED:
            killed = "1"
            note = "killed: ran longer than the per-binary timeout (%ss)" % btimeout
        elif not rc:
            if b == cut_short and env_killed:
                killed = "1"
                note = "killed: the environment reached its deadline while this binary ran"
            elif b == cut_short:
                note = "cut short: %s" % status
            else:
                note = "not run: %s" % status
        lines.append("%s\t%s\t%s\t%s" % (b, rc, killed, note))
    write(os.path.join(d, "runner.tsv"), "\n".join(lines) + "\n")


def write_env_tsv(d, figures):
    write(os.path.join(d, "env.tsv"), "".join("%s\t%s\n" % (k, v) for k, v in figures if v != ""))
