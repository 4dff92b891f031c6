#!/bin/bash
# The Semaphore and Lock models' reproducers (issue 17) against planted
# faults: under each LD_PRELOAD library of impl/repro/faults, the suite's
# property fails and names its reproducer, which fails (exit 1) under the
# same library and passes (exit 0) without it, each run within a second.
# Then every printable Kind's reproducers, generated on demand
# (IPCSPEC_REPRO=always), compile with -Wall -Wextra -Werror and pass here.
set -u
# The suites run inside this test must not write over its JUnit XML.
unset XML_OUTPUT_FILE
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
sem_suite="$ws/suites/semaphore/semaphore_test"
lock_suite="$ws/suites/lock/lock_test"
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted_semlock.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

# Semaphore
check sem_trywait_succeeds_at_zero 'Kinds/SemaphoreSuite.CounterNeverNegative/posix_named' 1 \
  "trywait at value 0: succeeded; expected EAGAIN" "trywait at value 0: expected EAGAIN, got success" \
  "$sem_suite" //suites/semaphore:semaphore_test
check semop_not_atomic 'Kinds/SemaphoreSuite.MultiOpAllOrNothing/sysv_sem' 1 \
  "which must change nothing" "which must change nothing" \
  "$sem_suite" //suites/semaphore:semaphore_test
check semop_ignores_sem_undo 'Kinds/SemaphoreSuite.UndoOnExitAsClaimed/sysv_sem_undo' 1 \
  "expected 0 (the Kind claims SEM_UNDO" "now the value is 1, expected 0" \
  "$sem_suite" //suites/semaphore:semaphore_test
check sem_wait_returns_at_zero 'Kinds/SemaphoreSuite.EveryWakeupMatchesAPost/posix_named' 1 \
  "wait at value 0 returned (success) with no post to match it" \
  "child 0's call returned instead of blocking" \
  "$sem_suite" //suites/semaphore:semaphore_test
check semop_zero_wait_returns 'Kinds/SemaphoreSuite.WaitersWokenAsDocumented/sysv_sem' 1 \
  "went through, but the value does not allow it" \
  "child 0's call returned instead of blocking" \
  "$sem_suite" //suites/semaphore:semaphore_test

sem_kinds="posix_named posix_unnamed_pshared sysv_sem sysv_sem_undo"
# shellcheck disable=SC2086
on_demand sem_counter "$sem_suite" 'Kinds/SemaphoreSuite.CounterNeverNegative/*' \
  repro-Kinds-SemaphoreSuite.CounterNeverNegative $sem_kinds
# shellcheck disable=SC2086
on_demand sem_undo "$sem_suite" 'Kinds/SemaphoreSuite.UndoOnExitAsClaimed/*' \
  repro-Kinds-SemaphoreSuite.UndoOnExitAsClaimed $sem_kinds
# shellcheck disable=SC2086
on_demand sem_wakeup "$sem_suite" 'Kinds/SemaphoreSuite.EveryWakeupMatchesAPost/*' \
  repro-Kinds-SemaphoreSuite.EveryWakeupMatchesAPost $sem_kinds
on_demand sem_multi "$sem_suite" 'Kinds/SemaphoreSuite.MultiOpAllOrNothing/sysv_sem*' \
  repro-Kinds-SemaphoreSuite.MultiOpAllOrNothing sysv_sem sysv_sem_undo
on_demand sem_waiters "$sem_suite" 'Kinds/SemaphoreSuite.WaitersWokenAsDocumented/sysv_sem*' \
  repro-Kinds-SemaphoreSuite.WaitersWokenAsDocumented sysv_sem sysv_sem_undo

# Lock
check flock_nb_always_succeeds 'Kinds/LockSuite.TryAcquireFailsWhileHeld/flock_ex' 1 \
  "expected EAGAIN, got success -- both now think they hold it" \
  "holds the lock: expected EAGAIN, got success" \
  "$lock_suite" //suites/lock:lock_test
check mutex_hides_owner_death 'Kinds/LockSuite.ReleasedWhenHolderDies/robust_mutex' 1 \
  "gave success, expected EOWNERDEAD" "expected EOWNERDEAD, got success" \
  "$lock_suite" //suites/lock:lock_test

lock_kinds="errorcheck_mutex fcntl_setlk flock_ex ofd_setlk robust_mutex robust_pi_mutex"
# shellcheck disable=SC2086
on_demand lock_try "$lock_suite" 'Kinds/LockSuite.TryAcquireFailsWhileHeld/*' \
  repro-Kinds-LockSuite.TryAcquireFailsWhileHeld $lock_kinds
on_demand lock_death "$lock_suite" 'Kinds/LockSuite.ReleasedWhenHolderDies/*' \
  repro-Kinds-LockSuite.ReleasedWhenHolderDies fcntl_setlk flock_ex ofd_setlk robust_mutex \
  robust_pi_mutex
on_demand lock_stalled "$lock_suite" 'Kinds/LockSuite.StaysHeldWhenHolderDies/*' \
  repro-Kinds-LockSuite.StaysHeldWhenHolderDies errorcheck_mutex

exit $failed
