# A one-node Slurm cluster for the tests (../shared/docs/slurm-one-node.md):
# munged as the munge user, slurmctld and slurmd with a minimal slurm.conf,
# state, spool, logs and pid files in DIR; every daemon stopped by its pid.
# shellcheck shell=bash

# slurm_start DIR: starts the cluster, exporting SLURM_CONF; on failure
# prints why and returns 1.
slurm_start() {
	local dir=$1 host cpus mem i
	[ "$(id -u)" -eq 0 ] || { echo "Slurm's daemons need root here"; return 1; }
	for i in munged slurmctld slurmd sinfo sbatch; do
		command -v "$i" >/dev/null || { echo "$i is not installed (slurm-wlm, munge)"; return 1; }
	done
	[ -f /etc/munge/munge.key ] || mungekey -c
	mkdir -p /run/munge /var/log/munge /var/lib/munge
	chown munge:munge /run/munge && chmod 755 /run/munge
	chown -R munge:munge /var/log/munge /var/lib/munge /etc/munge
	if ! { [ -f /run/munge/munged.pid ] && kill -0 "$(cat /run/munge/munged.pid)" 2>/dev/null; }; then
		runuser -u munge -- munged || { echo "munged did not start"; return 1; }
		cp /run/munge/munged.pid "$dir/munged.pid"	# ours to stop
	fi
	munge -n | unmunge >/dev/null || { echo "munge does not work"; return 1; }
	host=$(hostname -s)
	cpus=$(nproc)
	mem=$(($(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) - 1024))
	mkdir -p "$dir/state" "$dir/spool"
	cat > "$dir/slurm.conf" <<CONF
ClusterName=aud
SlurmctldHost=$host
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldLogFile=$dir/ctld.log
SlurmdLogFile=$dir/d.log
SlurmctldPidFile=$dir/ctld.pid
SlurmdPidFile=$dir/d.pid
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
	export SLURM_CONF=$dir/slurm.conf
	slurmctld || { echo "slurmctld did not start: $(tail -n 3 "$dir/ctld.log" 2>/dev/null)"; return 1; }
	slurmd || { echo "slurmd did not start: $(tail -n 3 "$dir/d.log" 2>/dev/null)"; return 1; }
	for i in $(seq 1 60); do
		[ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && return 0
		sleep 0.5
	done
	echo "the node did not become idle: $(sinfo -h -o %t 2>&1)"
	return 1
}

# slurm_stop DIR: stops what slurm_start started, and waits for it.
slurm_stop() {
	local dir=$1 f pid
	for f in d.pid ctld.pid munged.pid; do
		[ -f "$dir/$f" ] || continue
		pid=$(cat "$dir/$f")
		kill "$pid" 2>/dev/null || continue
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	done
}
