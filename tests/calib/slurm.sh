#!/bin/sh
# The Slurm recipe of docs/user-guide.md on a one-node cluster started here: the calibration runs as a 4-task
# array job (one shard each), the merge as a job depending on it; the merged table must be byte-identical to a
# one-process run. Needs Debian's slurm-wlm and munge (scripts/setup.sh) and root or a user allowed to run them;
# exits 77 (ctest SKIP_RETURN_CODE) when Slurm cannot start here.
#
#   slurm.sh ONNXQ SOURCE_DIR WORK_DIR
set -u
onnxq=$1
src=$2
work=$3
model=$src/samples/digits/model.onnx
data=$src/samples/digits/calib

skip() {
  echo "SKIP: $*" >&2
  exit 77
}
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log "$work"/*.out; do [ -f "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}
for p in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] || skip "$p is not installed"
done
PATH=$PATH:/usr/sbin
[ "$(id -u)" -eq 0 ] || skip "needs root to run slurmd"

rm -rf "$work"
mkdir -p "$work/state" "$work/spool" "$work/jobs"
work=$(cd "$work" && pwd)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  sleep 1
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM

# munge with its own key and socket
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 2>/dev/null
chmod 600 "$work/munge.key"
munged --force --key-file="$work/munge.key" --socket="$work/munge.sock" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munge.seed" >/dev/null 2>&1 || skip "munged does not start"
pids="$(cat "$work/munged.pid" 2>/dev/null)"

# free ports near a per-process offset, so parallel runs do not collide
base=$((20000 + $$ % 20000))
host=$(hostname -s)
cpus=$(nproc)
cat >"$work/slurm.conf" <<CONF
ClusterName=onnxqtest
SlurmctldHost=$host
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.sock
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
SchedulerType=sched/backfill
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
export SLURM_CONF="$work/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$work/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" >"$work/slurmd.out" 2>&1 &
pids="$pids $!"
up=0
for _ in $(seq 1 60); do
  if sinfo -h -o '%T' 2>/dev/null | grep -q -e idle -e mixed; then
    up=1
    break
  fi
  sleep 0.5
done
[ $up -eq 1 ] || skip "the one-node Slurm cluster did not come up (see $work)"

# the recipe (docs/user-guide.md), with this build's onnxq
cd "$work/jobs"
cat >calibrate.sbatch <<JOB
#!/bin/sh
#SBATCH --array=1-4
#SBATCH --cpus-per-task=1
#SBATCH --output=shard_%a.out
"$onnxq" calibrate "$model" --calib "$data" -o shard_\${SLURM_ARRAY_TASK_ID}.table \\
  --shard \${SLURM_ARRAY_TASK_ID}/\${SLURM_ARRAY_TASK_COUNT} --quiet
JOB
jid=$(sbatch --parsable calibrate.sbatch) || fail "sbatch of the array job"
mid=$(sbatch --parsable --dependency=afterok:$jid --output=merge.out \
  --wrap "\"$onnxq\" merge shard_1.table shard_2.table shard_3.table shard_4.table -o calib.table") ||
  fail "sbatch of the merge job"
for _ in $(seq 1 240); do
  [ -z "$(squeue -h -j "$jid,$mid" 2>/dev/null)" ] && break
  sleep 0.5
done
[ -z "$(squeue -h -j "$jid,$mid" 2>/dev/null)" ] || fail "jobs did not finish in 120 s"
[ -f calib.table ] || fail "the merge job wrote no table"
"$onnxq" calibrate "$model" --calib "$data" -o one.table --quiet >/dev/null || fail "one-process run"
cmp calib.table one.table || fail "the Slurm run's table differs from the one-process run"
echo "PASS: 4-shard array job + dependent merge = one-process table"
exit 0
