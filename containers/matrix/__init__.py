"""The environment matrix: the same statically linked test binaries run on
several kernels and sandboxes, then one side-by-side report.

    ci/matrix.sh --env ENV[,ENV...]|all [--tier quick|thorough] [--out DIR]
                 [--deadline SECONDS] [--binary-timeout SECONDS] [--bin DIR]
                 [--shard I/N] [--filter GTEST_FILTER] [--kernel-config FILE]
                 [--seccomp NAME|FILE[,...]] [--divergences [ENV=]FILE[,...]]
    ci/matrix.sh --list
    ci/matrix.sh kernel-path ENV
    ci/matrix.sh compare [--env OLD=NEW] [--md F] [--html F] [--json F] OLD NEW
    ci/matrix.sh merge [--out DIR] CELL...
    ci/matrix.sh initramfs --bin DIR --out FILE [--env NAME] [--tier T]
    ci/matrix.sh lava-job --kernel URL --initramfs URL [--out FILE]

    compare     two runs' results (matrix output directories, bazel-testlogs
                trees or results.json files) behaviour by behaviour:
                regressions, fixes, skips that appeared or went away, expected
                failures whose signature changed, tests that appeared or
                disappeared; exit status 1 on a regression, 2 on bad input
                (verdict/compare.py, `compare --help`)
    merge       cells' results directories (e.g. one per --shard) into one,
                DIR (default matrix-merged), with the reader's report over
                it (`merge --help`)
    initramfs   the initramfs the qemu environments boot, written to FILE
                for a lab or a VM of one's own (`initramfs --help`)
    kernel-path the file path of a matrix kernel's vmlinuz (linux-6.12, ...),
                fetched into the cache the first time, its config beside it:
                --env "kernel:$(ci/matrix.sh kernel-path linux-6.12)"
    lava-job    a LAVA job definition that boots a kernel with that
                initramfs on a qemu device and reads each test's verdict off
                the serial console (containers/matrix/lava.py, `lava-job --help`)
    --env       environments, comma-separated, or "all":
                  host           the binaries on the running kernel
                  runc           a podman container (runtime runc) on the host
                                 kernel, image imported from a tar of the binaries
                  crun           the same image under crun (runtime:/usr/bin/crun;
                                 the hybrid cgroup layout's cgroup2 mount hidden
                                 from it, see runtimes.py)
                  gvisor         gVisor: all binaries under `runsc --network=none do`
                  gvisor-podman  gVisor as podman's runtime (same image as runc)
                  linux-5.10     Debian bullseye's kernel        \\  booted by qemu
                  linux-6.1      Debian bookworm's kernel         | (KVM if it works,
                  linux-6.12     Debian bookworm-backports' kernel| else TCG) from an
                  linux-sid      the newest kernel in Debian sid /  initramfs of
                                 busybox-static + the binaries
                  kernel:PATH    your kernel, booted the same way: a bzImage/
                                 vmlinuz, a kernel .deb, or a version under
                                 /boot (kernel:6.1.0-28-amd64); the environment
                                 is kernel-<basename of PATH>. Its configuration
                                 is checked before boot (custom_kernel.py): a
                                 missing essential option (serial console,
                                 initrd, ...) refuses it (exit 2), another
                                 (CONFIG_SYSVIPC, ...) leaves out the binaries
                                 that need it, reported as skips of that need
                  runtime:PATH[:FLAG...]  the podman image under the OCI runtime
                                 PATH, each FLAG a --runtime-flag; its column is
                                 runtime:BASENAME[:FLAG...] ("=" as "-"); runsc
                                 inherits gVisor's table; a table named after
                                 the column or the runtime applies too
    --tier      quick (the default): RC_PARAMS="max_success=25 seed=S", and
                the selftest binaries (suites_selftest_*: they judge the suite
                against mutants, which does not depend on the environment, and
                `bazel test` runs them on the host) are left out. S is
                IPCSPEC_MATRIX_SEED (default 1; "random" for none): every run
                of the quick tier draws the same cases, so a difference
                between two runs is the environment's (or timing), never the
                draw, and a CI failure replays with the seed it prints;
                thorough: every binary, rapidcheck's default case counts and
                a random seed
    --out       results directory (default: matrix-out); DIR/<env>/ holds each
                binary's records (NAME.I.jsonl), gtest XML and log,
                runner.tsv (exit status, killed or not) and env.tsv (the run's
                figures); DIR/results.json the reader's results, DIR/report.md
                and DIR/report.html the report, DIR/junit.xml,
                DIR/results.ktap, DIR/times.tsv
    --deadline  seconds per environment (default 900); an environment still
                running then is killed and reported as such, the others go on
    --binary-timeout  seconds one test binary may run (default 300, scaled by
                IPCSPEC_TIMEOUT_SCALE) before it is killed: the test it was in
                fails with signature `hang`; the environment goes on
    --bin       use these static binaries instead of building them
                (containers/build_binaries.sh)
    --shard I/N run only the I-th of N shards of the binaries (every N-th
                of their sorted names, from the I-th: the same split on
                every machine); the tests of the other shards are listed in
                ENV/not_run.txt, so no table entry is judged stale for them;
                `merge` puts the N cells back together
    --filter    a gtest filter (POS[:POS...][-NEG[:NEG...]]) for every binary
                in every environment (GTEST_FILTER); a binary with no selected
                test is not run, its tests are listed in ENV/not_run.txt
    --kernel-config  the configuration to check the kernel: environments
                against (default: the .deb's or /boot's config file, else the
                one embedded in the image, CONFIG_IKCONFIG)
    --divergences  your own tables of expected differences, comma-separated
                [ENV=]FILE (verdict/README.md's format), applied by the reader
                on top of the tables the binaries apply, to ENV or to every
                environment (verdict/user_tables.py); a bad table exits 2
    --seccomp   profiles, comma-separated: podman (Debian's
                /usr/share/containers/seccomp.json), docker (moby's default,
                taken from golang-github-docker-docker-dev with apt-get
                download) or a profile FILE (named after it); every podman
                environment ENV then runs as ENV+seccomp:unconfined (the
                baseline) and ENV+seccomp:NAME per profile, and
                DIR/seccomp.md compares each with the baseline

Every binary gets IPCSPEC_ENV (the environment's name: the divergence table
it applies; an environment BASE-HOW with no table of its own, gvisor-podman,
gets BASE's), IPCSPEC_ENV_VERSION (uname -r for host and runc, runsc's release
for gVisor (20240729.0 of Debian's 0.0~20240729.0), the kernel package's version under qemu) and IPCSPEC_RESULTS_DIR
(where it writes its JSON Lines records); the records come back as files
(host, podman's volume) or between markers on standard output (runsc do) and
the serial console (qemu), see containers/matrix/loop.py.

Environments run in parallel, as many at once as there are cores (at least
1, at most IPCSPEC_MATRIX_JOBS if set). IPCSPEC_TIMEOUT_SCALE (default 1,
10 under TCG) stretches the tests' deadlines in slow environments.
IPCSPEC_QEMU_ACCEL=tcg|kvm|auto (default auto: KVM if a probe boot reaches
userspace within 20 s, else TCG; nested KVM hangs on some machines).
IPCSPEC_BOOT_TIMEOUT (default 180) seconds for a kernel to reach userspace.
IPCSPEC_KERNEL_APPEND: more kernel command line for every qemu environment
(e.g. rdinit=/nonexistent, to see a panic reported). A panic, an oops, a
BUG, a tainting warning or a hang read off a kernel's console is the
environment's status (the console log is ENV/console.log).
IPCSPEC_CACHE (default ~/.cache/ipcspec-matrix) keeps the downloaded kernels,
their apt lists and podman's image store.
Kernels come from the Debian mirror the host's apt already uses (read from
`apt-get indextargets` at run time; IPCSPEC_DEBIAN_MIRROR overrides it),
through a separate apt configuration under the cache: the host's package
set is never touched, and apt verifies each package against the suite's
signed Release file.

Exit status: 0 when every environment finished and the reader
(verdict/verdict.py, over the JSON results) finds nothing that fails the
run, 1 otherwise, 2 on bad usage or a missing prerequisite (unknown
environment, no runsc/qemu/podman, kernel package not found), when a kernel
did not boot, or when the results cannot be read.

Parts: kernels.py fetches kernels, initramfs.py builds the qemu image,
loop.py is the loop every environment runs and reads its output back,
custom_kernel.py the kernel:PATH environments and the console reader,
gtest_filter.py --filter,
environments.py runs one environment, results.py collects its results for
the reader, cli.py drives them, merge.py merges cells, runtimes.py adds
runtime:PATH, crun and --seccomp.
"""
