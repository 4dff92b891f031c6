"""The loop every environment runs over the test binaries, and the reading
of its output.

Each binary runs under its own timeout with IPCSPEC_RESULTS_DIR set to a
directory of its own, so that its JSON Lines records are its alone. With an
output directory (host, podman's volume) the loop leaves there, per binary
NAME: NAME.xml (gtest's JUnit), NAME.log, NAME.I.jsonl (the records) and
NAME.rc. With "-" (qemu's serial console, `runsc do`'s standard output) it
prints them between markers, one binary after another:

    @@IPCSPEC-XML NAME        then the XML
    @@IPCSPEC-JSONL NAME I    then the I-th records file, line by line
    @@IPCSPEC-LOG NAME        then the last lines of the output (on failure)
    @@IPCSPEC-END NAME RC

and split_markers() turns such a stream back into the same files. The script
runs under busybox sh as well as bash; `timeout -s KILL N` means the same to
both.
"""

import os

LOOP = r'''bin=$1 out=$2 t=$3 tmp=${TMPDIR:-/tmp}
for b in "$bin"/*; do
  n=${b##*/}
  w=$tmp/ipcspec-run.$n r=$tmp/ipcspec-results.$n
  rm -rf "$r"; mkdir -p "$w" "$r"
  if [ "$out" = - ]; then x=$tmp/ipcspec-$n.xml l=$tmp/ipcspec-$n.log; else x=$out/$n.xml l=$out/$n.log; fi
  TEST_TMPDIR=$w IPCSPEC_RESULTS_DIR=$r timeout -s KILL "$t" "$b" --gtest_output=xml:"$x" > "$l" 2>&1
  rc=$?
  rm -rf "$w"
  i=0
  if [ "$out" = - ]; then
    echo "@@IPCSPEC-XML $n"
    cat "$x" 2>/dev/null
    for f in "$r"/*.jsonl; do
      [ -f "$f" ] || continue
      i=$((i + 1))
      echo "@@IPCSPEC-JSONL $n $i"
      cat "$f"
      echo
    done
    if [ ! -s "$x" ] || [ "$rc" -ne 0 ]; then echo "@@IPCSPEC-LOG $n"; tail -n 25 "$l"; fi
    echo "@@IPCSPEC-END $n $rc"
    rm -f "$x" "$l"
  else
    for f in "$r"/*.jsonl; do
      [ -f "$f" ] || continue
      i=$((i + 1))
      cp "$f" "$out/$n.$i.jsonl"
    done
    echo "$rc" > "$out/$n.rc"
  fi
  rm -rf "$r"
done
'''


def split_markers(stream_path, d):
    """Splits a stream holding @@IPCSPEC markers into D/<binary>.{xml,log,
    I.jsonl,rc}. A binary cut short (the environment killed, the kernel
    halted) keeps what it printed: its records up to its death. Returns the
    name of the binary that was running when the stream ended, if any."""
    cur = None
    kind = None
    bufs = {}

    def flush(name, rc=None):
        for (k, idx), lines in bufs.items():
            if k == "xml" and any("<testsuites" in l for l in lines):
                _write(os.path.join(d, name + ".xml"), lines)
            elif k == "log" and lines:
                _write(os.path.join(d, name + ".log"), lines)
            elif k == "jsonl" and any(l.strip() for l in lines):
                _write(os.path.join(d, "%s.%s.jsonl" % (name, idx)), lines)
        if rc is not None:
            _write(os.path.join(d, name + ".rc"), [rc])

    if not os.path.isfile(stream_path):
        return None
    with open(stream_path, "rb") as fh:
        for raw in fh:
            line = raw.decode("utf-8", "replace").replace("\r", "").rstrip("\n")
            i = line.find("@@IPCSPEC-")
            if i >= 0 and not line.lstrip().startswith("{"):
                w = line[i:].split()
                tag = w[0]
                if tag == "@@IPCSPEC-XML" and len(w) > 1:
                    if cur is not None:
                        flush(cur)
                    cur, kind, bufs = w[1], ("xml", 0), {("xml", 0): []}
                    continue
                if tag == "@@IPCSPEC-JSONL" and cur:
                    kind = ("jsonl", w[2] if len(w) > 2 else "1")
                    bufs[kind] = []
                    continue
                if tag == "@@IPCSPEC-LOG" and cur:
                    kind = ("log", 0)
                    bufs[kind] = []
                    continue
                if tag == "@@IPCSPEC-END" and cur:
                    flush(cur, w[2] if len(w) > 2 else None)
                    cur, bufs = None, {}
                    continue
                if tag == "@@IPCSPEC-BOOTED" and len(w) > 1:
                    _write(os.path.join(d, "booted"), [" ".join(w[1:])])
                continue
            if cur is not None:
                bufs[kind].append(line)
    if cur is not None:
        flush(cur)
    return cur


def _write(path, lines):
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
