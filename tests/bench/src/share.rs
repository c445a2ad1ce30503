//! Lambda's CPU share as a cgroup-v1 CPU quota: Lambda gives a function CPU in proportion to
//! its memory (1,769 MB buy one vCPU), except during init.

use std::path::PathBuf;

/// Memory that buys one vCPU.
const MB_PER_VCPU: u64 = 1_769;
/// CFS period. Lambda's throttling interval has been observed at 20 ms (a process over its
/// share waits until the next 20 ms slice: pwrdrvr/lambda-dispatch#246); the kernel's default
/// 100 ms would stall a cold start for up to 93 ms at 128 MB and drown the figures in noise.
pub const PERIOD_US: u64 = 20_000;

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

/// `memory_mb`'s share of one core.
pub fn fraction(memory_mb: u64) -> f64 {
    memory_mb as f64 / MB_PER_VCPU as f64
}
