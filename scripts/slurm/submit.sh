#!/usr/bin/env bash
# Runs `needle rank` (or `needle eval`) over a large dataset on a Slurm cluster, sharded:
#   map    an array job of N tasks; task I runs
#            needle rank DATASET --shard I/N --partial-out OUT/part-I.bin [extra options]
#          (scripts/slurm/map.sbatch), each over frames I of N, contiguous by frame order;
#   reduce a job that starts only when every map task succeeded (--dependency=afterok) and runs
#            needle rank --merge OUT/part-*.bin --format json  > OUT/ranking.json
#          (scripts/slurm/merge.sbatch): exactly the ranking a single `needle rank` would write.
# DATASET, OUT and the needle binary must be on a filesystem every node sees (NFS, Lustre, ...).
#
# Usage:
#   scripts/slurm/submit.sh DATASET --shards N --out DIR [options] [-- extra options of the map step]
# Options:
#   --shards N            number of map tasks, 1 or more (required)
#   --out DIR             output folder on the shared filesystem (required; created)
#   --partition P         Slurm partition of every job (default: the cluster's default partition)
#   --command rank|eval   the needle command to shard (default rank); eval writes OUT/eval.json
#   --format F            format of the merged result (default json; rank: json|csv|text)
#   --cpus-per-task C     CPUs of each map task, also its needle --threads (default 1)
#   --needle PATH         the needle binary the nodes run (default: `needle` on PATH)
#   --sbatch ARG          one more argument for every sbatch call, repeatable
#                         (e.g. --sbatch --time=02:00:00 --sbatch --account=perception)
#   --only I              re-run shard I alone (e.g. after it failed), then merge again
#   --merge-only          submit only the merge job (e.g. after copying a part in by hand)
#   --dry-run             print the sbatch commands instead of submitting them
# Example (a million frames, 64 shards, the predictions DATASET/pred/<name>/ as usual):
#   scripts/slurm/submit.sh /shared/fleet --shards 64 --partition cpu --out /shared/fleet-rank
#   ... squeue -u $USER ... then /shared/fleet-rank/ranking.json
# A map task that fails leaves no part file (it writes part-I.bin.tmp.* and renames it on success),
# the merge job is then cancelled by Slurm (--kill-on-invalid-dep=yes), and the task's log
# (OUT/logs/map-I.out) ends with the command that re-runs that shard alone:
#   OUT/resubmit.sh --only I        (the same as this command line plus --only I)
# Prints the job ids as "map JOBID" and "merge JOBID" lines on stdout; everything else on stderr.
set -euo pipefail

# The first shard's index in `needle ... --shard I/N`: shards are numbered 0..N-1, and so are the
# array's tasks (--array=0-(N-1)), so that SLURM_ARRAY_TASK_ID is the shard index.
readonly kFirstShard=0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "submit.sh: $*" >&2; exit 2; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

dataset="" shards="" out="" partition="" command="rank" format="json" cpus=1 needle=""
only="" merge_only=0 dry_run=0
sbatch_extra=() map_extra=()
orig_args=()  # this command line without --only/--merge-only/--dry-run, for OUT/resubmit.sh
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage 0 ;;
    --shards) shards="${2:?--shards needs a value}"; orig_args+=("$1" "$2"); shift 2 ;;
    --out) out="${2:?--out needs a value}"; shift 2 ;;
    --partition) partition="${2:?--partition needs a value}"; orig_args+=("$1" "$2"); shift 2 ;;
    --command) command="${2:?--command needs a value}"; orig_args+=("$1" "$2"); shift 2 ;;
    --format) format="${2:?--format needs a value}"; orig_args+=("$1" "$2"); shift 2 ;;
    --cpus-per-task) cpus="${2:?--cpus-per-task needs a value}"; orig_args+=("$1" "$2"); shift 2 ;;
    --needle) needle="${2:?--needle needs a value}"; shift 2 ;;
    --sbatch) sbatch_extra+=("${2:?--sbatch needs a value}"); orig_args+=("$1" "$2"); shift 2 ;;
    --only) only="${2:?--only needs a shard index}"; shift 2 ;;
    --merge-only) merge_only=1; shift ;;
    --dry-run) dry_run=1; shift ;;
    --) shift; map_extra=("$@"); break ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$dataset" ] || die "one DATASET only (got '$dataset' and '$1')"; dataset="$1"; shift ;;
  esac
done

[ -n "$dataset" ] || die "no DATASET given (see --help)"
[ -n "$shards" ] || die "--shards N is required"
[ -n "$out" ] || die "--out DIR is required"
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || die "--shards must be a positive integer, got '$shards'"
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || die "--cpus-per-task must be a positive integer, got '$cpus'"
case "$command" in
  rank) result="ranking.$format" ;;
  eval) result="eval.$format" ;;
  *) die "--command must be rank or eval, got '$command'" ;;
esac
last_shard=$((kFirstShard + shards - 1))
if [ -n "$only" ]; then
  if ! [[ "$only" =~ ^[0-9]+$ ]] || [ "$only" -lt "$kFirstShard" ] || [ "$only" -gt "$last_shard" ]
  then
    die "--only takes a shard index from $kFirstShard to $last_shard, got '$only'"
  fi
  [ "$merge_only" = 0 ] || die "--only and --merge-only exclude each other"
fi
for a in "${map_extra[@]+"${map_extra[@]}"}"; do
  case "$a" in
    --shard|--shard=*|--partial-out|--partial-out=*|--merge|--merge=*|--out|--out=*)
      die "'$a' is set by this script; pass only the other options of needle $command after --" ;;
    --threads|--threads=*|-j) die "'$a': use --cpus-per-task C (it sets needle --threads C)" ;;
  esac
done

# The nodes see the same paths as this machine: make every path absolute.
[ -d "$dataset" ] || die "DATASET '$dataset' is not a folder"
dataset="$(cd "$dataset" && pwd)"
if [ -z "$needle" ]; then
  needle="$(command -v needle || true)"
  [ -n "$needle" ] || die "no needle on PATH: pass --needle /shared/path/to/needle"
fi
[ -x "$needle" ] || die "--needle '$needle' is not an executable file"
needle="$(cd "$(dirname "$needle")" && pwd)/$(basename "$needle")"
mkdir -p "$out/logs"
out="$(cd "$out" && pwd)"

# A new run starts in a folder without parts: a part of an earlier run with other options or
# another shard count would make the merge refuse (or worse, look right).
if [ -z "$only" ] && [ "$merge_only" = 0 ] && compgen -G "$out/part-*.bin" >/dev/null; then
  die "$out already holds part files of an earlier run: re-run one shard with --only I, merge" \
      "again with --merge-only, or choose an empty --out folder"
fi

# OUT/resubmit.sh: this submission again, to be called with --only I or --merge-only.
resubmit="$out/resubmit.sh"
if [ "$dry_run" = 0 ]; then
  {
    echo '#!/usr/bin/env bash'
    echo '# Written by scripts/slurm/submit.sh: the same submission; add --only I or --merge-only.'
    printf 'exec %q %q' "$here/submit.sh" "$dataset"
    printf ' %q' --out "$out" --needle "$needle" "${orig_args[@]+"${orig_args[@]}"}"
    printf ' "$@"'
    if [ ${#map_extra[@]} -gt 0 ]; then printf ' %q' -- "${map_extra[@]}"; fi
    echo
  } >"$resubmit.tmp"
  chmod +x "$resubmit.tmp"
  mv "$resubmit.tmp" "$resubmit"
fi

common=(--parsable)
[ -z "$partition" ] || common+=(--partition="$partition")
common+=("${sbatch_extra[@]+"${sbatch_extra[@]}"}")

run_sbatch() {
  if [ "$dry_run" = 1 ]; then
    printf '%q ' sbatch "$@" >&2
    echo >&2
    echo "DRYRUN"
    return 0
  fi
  local id
  id="$(sbatch "$@")" || die "sbatch failed: sbatch $*"
  echo "${id%%;*}"  # --parsable prints JOBID or JOBID;CLUSTER
}

map_id=""
if [ "$merge_only" = 0 ]; then
  array="$kFirstShard-$last_shard"
  [ -z "$only" ] || array="$only"
  map_id="$(run_sbatch "${common[@]}" --job-name="needle-$command-map" --array="$array" \
    --cpus-per-task="$cpus" --output="$out/logs/map-%a.out" \
    "$here/map.sbatch" "$needle" "$command" "$dataset" "$shards" "$out" "$cpus" \
    "${map_extra[@]+"${map_extra[@]}"}")"
  echo "map $map_id"
  echo "submit.sh: map array job $map_id: shard(s) $array of $shards ($kFirstShard-based)," \
       "logs $out/logs/map-I.out" >&2
fi

dependency=()
[ -z "$map_id" ] || dependency=(--dependency="afterok:$map_id" --kill-on-invalid-dep=yes)
merge_id="$(run_sbatch "${common[@]}" --job-name="needle-$command-merge" \
  "${dependency[@]+"${dependency[@]}"}" --output="$out/logs/merge-%j.out" \
  "$here/merge.sbatch" "$needle" "$command" "$out" "$format" "$result")"
echo "merge $merge_id"
echo "submit.sh: merge job $merge_id${map_id:+ (after every map task succeeded)}:" \
     "writes $out/$result, log $out/logs/merge-$merge_id.out" >&2
echo "submit.sh: re-run one failed shard I alone with: $resubmit --only I" >&2
