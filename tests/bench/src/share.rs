//! Lambda's CPU share as a cgroup-v1 CPU quota: Lambda gives a function CPU in proportion to
//! its memory (1,769 MB buy one vCPU), except during init.

use std::path::PathBuf;

/// Memory that buys one vCPU.
const MB_PER_VCPU: u64 = 1_769;
const PERIOD_US: u64 = 100_000;

/// A group whose quota is `memory_mb`'s share of one core, or why there is none here (no
/// writable cgroup-v1 `cpu` controller: the bench then skips what needs it).
pub fn group(memory_mb: u64) -> Result<PathBuf, String> {
    let dir = PathBuf::from(format!("/sys/fs/cgroup/cpu/otp-bench-{memory_mb}mb"));
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
