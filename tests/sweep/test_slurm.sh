#!/usr/bin/env bash
# A real single-node Slurm (scripts/slurm-cluster.sh, on 127.0.0.1 in a temporary folder): the
# 6-point smoke sweep of ablations/kolkin2017_af_sensitivity submitted as one job array (2 tasks at
# a time), followed through squeue, its shards merged; the merged results must equal the same
# sweep run locally with the same threads bit for bit, and so must the table. Then preemption: the
# USR1 that Slurm sends before a time limit (here by scancel --signal=USR1 --batch) makes the task
# checkpoint, requeue itself and resume from its checkpoint. Exit 77 (ctest: skipped) where Slurm
# or root is missing.
#   tests/sweep/test_slurm.sh BUILD/sodlab SOURCE_DIR
set -euo pipefail
sodlab=$1
src=$2
work=$(mktemp -d /tmp/sodlab-slurm-test-XXXXXX)
cluster="$work/cluster"
cleanup() {
  "$src/scripts/slurm-cluster.sh" stop "$cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

set +e
# A requeued task is eligible again cred_expire + 1 s later (default 30 s: too slow for a test).
exports=$(SLURM_TEST_CRED_EXPIRE=5 "$src/scripts/slurm-cluster.sh" start "$cluster" 2>"$work/start.log")
rc=$?
set -e
if [[ $rc == 77 ]]; then
  grep -h "SKIPPED" "$work/start.log" || echo "SKIPPED: no Slurm here"
  exit 77
fi
if [[ $rc != 0 ]]; then
  cat "$work/start.log" >&2
  echo "FAILED: the test cluster did not start" >&2
  exit 1
fi
eval "$exports"
cd "$src"
sweep=(ablations/kolkin2017_af_sensitivity --profile smoke)

start=$(date +%s)
"$sodlab" sweep "${sweep[@]}" --launcher slurm --cpus 1 --array-parallelism 2 --time 10:00 --wait \
  --db "$work/slurm.db" --out-dir "$work/sweep" --runs-dir "$work/runs" --cache-dir "$work/cache"
echo "slurm sweep: $(($(date +%s) - start)) s"
grep -q -- "--array=0-5%2" "$work/sweep/sweep.sbatch"
grep -q -- "--signal=B:USR1@60" "$work/sweep/sweep.sbatch"
grep -q -- '--expect-run "${runs\[$task\]}"' "$work/sweep/sweep.sbatch"
ls "$work"/sweep/shards/task-{0,1,2,3,4,5}.db >/dev/null
completed=$(grep -c "JobState=COMPLETED" "$cluster/jobcomp.txt" || true)
[[ $completed == 6 ]] || { echo "FAILED: $completed of 6 array tasks completed"; cat "$cluster/jobcomp.txt"; exit 1; }

"$sodlab" sweep "${sweep[@]}" --jobs 2 --db "$work/local.db" --runs-dir "$work/lruns" --cache-dir "$work/lcache"

results() {
  sqlite3 "$1" "SELECT r.run_id, r.variant, r.status, x.dataset, x.distortion, x.metric, x.convention,
                       printf('%.17g', x.value)
                FROM results x JOIN runs r USING (run_id) ORDER BY 1, 4, 5, 6, 7"
}
results "$work/slurm.db" >"$work/slurm.txt"
results "$work/local.db" >"$work/local.txt"
[[ $(cut -d'|' -f1 "$work/slurm.txt" | sort -u | wc -l) == 6 ]] || { echo "FAILED: not 6 runs merged"; exit 1; }
[[ $(grep -vc "|completed|" "$work/slurm.txt" || true) == 0 ]] || { echo "FAILED: runs not completed"; exit 1; }
diff "$work/slurm.txt" "$work/local.txt" || { echo "FAILED: merged results differ from the local sweep"; exit 1; }
"$sodlab" table "${sweep[@]}" --threads 1 --db "$work/slurm.db" >"$work/slurm.md"
"$sodlab" table "${sweep[@]}" --threads 1 --db "$work/local.db" >"$work/local.md"
diff "$work/slurm.md" "$work/local.md" || { echo "FAILED: the tables differ"; exit 1; }
# Merging the shards again changes nothing.
"$sodlab" merge "$work"/sweep/shards/*.db --into "$work/slurm.db" 2>&1 | grep -q ": 0 run(s) copied, 6 already there"
results "$work/slurm.db" | diff - "$work/slurm.txt"
cat "$work/slurm.md"
echo "PASSED: 6 array tasks merged, equal to the local sweep bit for bit"

# Preemption / time limit: one longer run; once it has checkpoints, USR1 to the batch shell.
start=$(date +%s)
"$sodlab" sweep "${sweep[@]}" --variant theta=5,beta2=0.3 --set 'train.stages=[{name="all",epochs=30,lr=3e-3}]' \
  --launcher slurm --cpus 1 --db "$work/pre.db" --out-dir "$work/pre" --runs-dir "$work/pre_runs" \
  --cache-dir "$work/cache" 2>"$work/pre_submit.log"
job=$(sed -n 's/^submitted job \([0-9]*\).*/\1/p' "$work/pre_submit.log")
[[ -n $job ]] || { cat "$work/pre_submit.log"; echo "FAILED: no job id"; exit 1; }
shard="$work/pre/shards/task-0.db"
for _ in $(seq 600); do
  n=$(sqlite3 "$shard" "SELECT count(*) FROM epochs" 2>/dev/null || echo 0)
  ((n >= 3)) && break
  sleep 0.1
done
((n >= 3)) || { cat "$work/pre/logs/task-0.out"; echo "FAILED: the task never trained 3 epochs"; exit 1; }
scancel --signal=USR1 --batch "${job}_0"
for _ in $(seq 1200); do
  [[ -z $(squeue -h -j "$job" 2>/dev/null) ]] && break
  sleep 0.1
done
log="$work/pre/logs/task-0.out"
[[ -z $(squeue -h -j "$job" 2>/dev/null) ]] || { cat "$log"; echo "FAILED: the requeued task did not end"; exit 1; }
for expect in "time limit warning: checkpointing task 0" "(restart 1)" "resumed after"; do
  grep -qF "$expect" "$log" || { cat "$log"; echo "FAILED: '$expect' not in the task log"; exit 1; }
done
"$sodlab" merge "$shard" --into "$work/pre.db"
[[ $(sqlite3 "$work/pre.db" "SELECT count(*) FROM runs WHERE status = 'completed'") == 1 ]] ||
  { cat "$log"; echo "FAILED: the preempted run did not complete"; exit 1; }
[[ $(sqlite3 "$work/pre.db" "SELECT count(*) FROM epochs") == 30 ]] || { echo "FAILED: epochs lost or repeated"; exit 1; }
echo "PASSED: preempted task checkpointed, requeued and resumed ($(($(date +%s) - start)) s)"
