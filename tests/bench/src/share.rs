//! Lambda's CPU share as a cgroup-v1 CPU quota: Lambda gives a function CPU in proportion to
//! its memory (1,769 MB buy one vCPU), except during init.

use std::path::{Path, PathBuf};

/// Memory that buys one vCPU.
const MB_PER_VCPU: u64 = 1_769;
/// CFS period. Lambda's throttling interval has been observed at 20 ms (a process over its
/// share waits until the next 20 ms slice: pwrdrvr/lambda-dispatch#246); the kernel's default
/// 100 ms would stall a cold start for up to 93 ms at 128 MB and drown the figures in noise.
pub const PERIOD_US: u64 = 20_000;

/// The core a throttled process is pinned to.
const CORE: &str = "1";

/// A group whose quota is `memory_mb`'s share of one core, or why there is none here (no
/// writable cgroup-v1 `cpu` controller: the bench then skips what needs it). Where the
/// `cpuset` controller is writable too, a cpuset group of the same name pins the process to
/// one core: CFS hands out a group's quota to each core in slices, so a process that changes
/// core can be throttled while its slice on the other core lies unused, which "a share of one
/// core" does not mean.
pub fn group(memory_mb: u64) -> Result<PathBuf, String> {
    let name = format!("otp-bench-{memory_mb}mb");
    let pinned = Path::new(CPUSET).join(&name);
    let pin = std::fs::create_dir_all(&pinned)
        .and_then(|()| std::fs::write(pinned.join("cpuset.cpus"), CORE))
        .and_then(|()| std::fs::write(pinned.join("cpuset.mems"), "0"));
    if let Err(e) = pin {
        eprintln!("no one-core pinning ({}: {e})", pinned.display());
    }
    let dir = Path::new("/sys/fs/cgroup/cpu").join(name);
    let quota = PERIOD_US * memory_mb / MB_PER_VCPU;
    let write = |file: &str, value: u64| {
        std::fs::write(dir.join(file), value.to_string())
            .map_err(|e| format!("{}: {e}", dir.join(file).display()))
    };
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    write("cpu.cfs_period_us", PERIOD_US)?;
    write("cpu.cfs_quota_us", quota)?;
    Ok(dir)
}

const CPUSET: &str = "/sys/fs/cgroup/cpuset";

/// A group of its own for one process, as `template` (quota, period, pinning): Lambda's quota
/// is per execution environment, so no start may find it spent by the one before, which a
/// shared group allows when the next process enters within the same 20 ms period.
pub fn sandbox(template: &Path) -> PathBuf {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!(
        "{}-{n}",
        template.file_name().unwrap_or_default().to_string_lossy()
    );
    let dir = template.with_file_name(&name);
    let copy = |from: &Path, to: &Path, files: &[&str]| {
        std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
        for file in files {
            let value = std::fs::read_to_string(from.join(file)).unwrap_or_default();
            std::fs::write(to.join(file), value.trim())
                .unwrap_or_else(|e| panic!("{}: {e}", to.join(file).display()));
        }
    };
    copy(template, &dir, &["cpu.cfs_period_us", "cpu.cfs_quota_us"]);
    if pinned(template) {
        let cpuset = Path::new(CPUSET);
        let from = cpuset.join(template.file_name().unwrap_or_default());
        copy(&from, &cpuset.join(&name), &["cpuset.cpus", "cpuset.mems"]);
    }
    dir
}

/// Removes a `sandbox` group once its process is gone.
pub fn remove(dir: &Path) {
    let pinned = dir.file_name().map(|n| Path::new(CPUSET).join(n));
    for group in std::iter::once(dir.to_path_buf()).chain(pinned.filter(|p| p.exists())) {
        // A killed process leaves its group a moment after it is reaped.
        for _ in 0..100 {
            if std::fs::remove_dir(&group).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

/// Moves process `pid` (all its threads) into the group at `dir`, and into its cpuset
/// namesake where there is one.
pub fn enter(dir: &Path, pid: u32) {
    let pinned = dir.file_name().map(|n| Path::new(CPUSET).join(n));
    for group in std::iter::once(dir.to_path_buf()).chain(pinned.filter(|p| p.exists())) {
        std::fs::write(group.join("cgroup.procs"), pid.to_string())
            .unwrap_or_else(|e| panic!("cannot move {pid} into {}: {e}", group.display()));
    }
}

/// Whether `group` pins to one core.
pub fn pinned(dir: &Path) -> bool {
    dir.file_name()
        .is_some_and(|n| Path::new(CPUSET).join(n).join("cgroup.procs").exists())
}

/// `memory_mb`'s share of one core.
pub fn fraction(memory_mb: u64) -> f64 {
    memory_mb as f64 / MB_PER_VCPU as f64
}
