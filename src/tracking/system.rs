//! System metrics of a run, under MLflow's key names (`system/cpu_utilization_percentage`, …),
//! read from `/proc` (and NVML for GPUs): the machine's CPU, memory, root disk and network, each
//! GPU, and the CPU and memory of the run's own process tree (MLflow's `process_*` names).

use std::collections::HashMap;
use std::path::Path;

use crate::sys::{self, Nvml};

/// The prefix of every system metric key, as MLflow's.
pub const PREFIX: &str = "system/";

/// Reads the machine and a process tree; each `sample` answers the readings since the last.
pub struct Sampler {
    root: u32,
    nvml: Option<Nvml>,
    ticks: f64,
    page: u64,
    cpu: Option<CpuTimes>,
    net_start: Option<(u64, u64)>,
    tree_cpu: Option<(f64, std::time::Instant)>,
}

#[derive(Clone, Copy)]
struct CpuTimes {
    busy: u64,
    total: u64,
}

impl Sampler {
    /// A sampler for the process tree under `root` (the run's command). The first readings of
    /// the counters are taken now, so that the first sample covers the time until it.
    pub fn new(root: u32) -> Sampler {
        let mut s = Sampler {
            root,
            nvml: Nvml::open(),
            ticks: sys::clock_ticks() as f64,
            page: sys::page_size(),
            cpu: cpu_times(),
            net_start: net_bytes(),
            tree_cpu: None,
        };
        s.tree_cpu = s.tree().map(|(cpu, _, _)| (cpu, std::time::Instant::now()));
        s
    }

    /// How many GPUs NVML reported.
    pub fn gpus(&self) -> usize {
        self.nvml.as_ref().map_or(0, |n| n.read().len())
    }

    /// The readings now, as (key, value) pairs with the `system/` prefix.
    pub fn sample(&mut self) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = Vec::new();
        let mut put = |k: &str, v: f64| out.push((format!("{PREFIX}{k}"), v));
        if let Some(now) = cpu_times() {
            if let Some(before) = self.cpu {
                let total = now.total.saturating_sub(before.total);
                if total > 0 {
                    let busy = now.busy.saturating_sub(before.busy);
                    put(
                        "cpu_utilization_percentage",
                        round1(busy as f64 * 100.0 / total as f64),
                    );
                }
            }
            self.cpu = Some(now);
        }
        let mem = meminfo();
        if let (Some(total), Some(used)) = (mem.get("MemTotal"), memory_used(&mem)) {
            put("system_memory_usage_megabytes", (used / 1_000_000) as f64);
            if *total > 0 {
                put(
                    "system_memory_usage_percentage",
                    round1(used as f64 * 100.0 / *total as f64),
                );
            }
        }
        if let Some((used, free)) = sys::disk_usage(Path::new("/")) {
            if used + free > 0 {
                put(
                    "disk_usage_percentage",
                    round1(used as f64 * 100.0 / (used + free) as f64),
                );
            }
            put("disk_usage_megabytes", (used / 1_000_000) as f64);
            put("disk_available_megabytes", (free / 1_000_000) as f64);
        }
        if let (Some((rx, tx)), Some((rx0, tx0))) = (net_bytes(), self.net_start) {
            put(
                "network_receive_megabytes",
                (rx.saturating_sub(rx0) / 1_000_000) as f64,
            );
            put(
                "network_transmit_megabytes",
                (tx.saturating_sub(tx0) / 1_000_000) as f64,
            );
        }
        if let Some(nvml) = &self.nvml {
            for (i, g) in nvml.read().iter().enumerate() {
                if let (Some(used), Some(total)) = (g.memory_used, g.memory_total) {
                    if total > 0 {
                        put(
                            &format!("gpu_{i}_memory_usage_percentage"),
                            round1(used as f64 * 100.0 / total as f64),
                        );
                    }
                    put(
                        &format!("gpu_{i}_memory_usage_megabytes"),
                        used as f64 / 1e6,
                    );
                }
                if let Some(u) = g.utilization {
                    put(&format!("gpu_{i}_utilization_percentage"), u as f64);
                }
                if let Some(p) = g.power_milliwatts {
                    put(&format!("gpu_{i}_power_usage_watts"), p as f64 / 1000.0);
                    if let Some(limit) = g.power_limit_milliwatts.filter(|l| *l > 0) {
                        put(
                            &format!("gpu_{i}_power_usage_percentage"),
                            round1(p as f64 * 100.0 / limit as f64),
                        );
                    }
                }
            }
        }
        if let Some((cpu, rss, threads)) = self.tree() {
            let now = std::time::Instant::now();
            if let Some((before, at)) = self.tree_cpu {
                let secs = now.duration_since(at).as_secs_f64();
                if secs > 0.0 {
                    put(
                        "process_cpu_percentage",
                        round1((cpu - before).max(0.0) * 100.0 / secs),
                    );
                }
            }
            self.tree_cpu = Some((cpu, now));
            put("process_memory_rss_megabytes", round1(rss as f64 / 1e6));
            if let Some(total) = mem.get("MemTotal").filter(|t| **t > 0) {
                put(
                    "process_memory_percentage",
                    round1(rss as f64 * 100.0 / *total as f64),
                );
            }
            put("process_threads", threads as f64);
        }
        out
    }

    /// CPU seconds (own and of reaped children), resident bytes and threads of the tree under
    /// the root; `None` once the root is gone.
    fn tree(&self) -> Option<(f64, u64, u64)> {
        let mut stats: HashMap<u32, ProcStat> = HashMap::new();
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if let Some(s) = proc_stat(pid) {
                stats.insert(pid, s);
            }
        }
        stats.get(&self.root)?;
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for (pid, s) in &stats {
            children.entry(s.ppid).or_default().push(*pid);
        }
        let (mut cpu, mut rss, mut threads) = (0u64, 0u64, 0u64);
        let mut todo = vec![self.root];
        let mut seen = std::collections::HashSet::new();
        while let Some(pid) = todo.pop() {
            if !seen.insert(pid) {
                continue;
            }
            if let Some(s) = stats.get(&pid) {
                cpu += s.cpu_ticks;
                rss += s.rss_pages * self.page;
                threads += s.threads;
            }
            todo.extend(children.get(&pid).into_iter().flatten().copied());
        }
        Some((cpu as f64 / self.ticks, rss, threads))
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// Busy and total jiffies of all CPUs, from the first line of `/proc/stat`.
fn cpu_times() -> Option<CpuTimes> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if v.len() < 4 {
        return None;
    }
    // user nice system idle iowait irq softirq steal (guest times are inside user and nice).
    let total: u64 = v.iter().take(8).sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some(CpuTimes {
        busy: total - idle,
        total,
    })
}

/// `/proc/meminfo` in bytes, by field name.
fn meminfo() -> HashMap<String, u64> {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    text.lines()
        .filter_map(|l| {
            let (k, rest) = l.split_once(':')?;
            let kb: u64 = rest.split_whitespace().next()?.parse().ok()?;
            Some((k.to_string(), kb * 1024))
        })
        .collect()
}

/// Memory in use as psutil counts it: total less free, buffers and page cache.
fn memory_used(m: &HashMap<String, u64>) -> Option<u64> {
    let get = |k: &str| m.get(k).copied().unwrap_or(0);
    let total = *m.get("MemTotal")?;
    let cached = get("Cached") + get("SReclaimable");
    let used = total.saturating_sub(get("MemFree") + get("Buffers") + cached);
    Some(if used == 0 {
        total.saturating_sub(get("MemAvailable"))
    } else {
        used
    })
}

/// Bytes received and sent by every interface since boot, from `/proc/net/dev`.
fn net_bytes() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/dev").ok()?;
    let (mut rx, mut tx) = (0u64, 0u64);
    for line in text.lines().skip(2) {
        let Some((_, rest)) = line.split_once(':') else {
            continue;
        };
        let f: Vec<u64> = rest
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if f.len() >= 9 {
            rx += f[0];
            tx += f[8];
        }
    }
    Some((rx, tx))
}

struct ProcStat {
    ppid: u32,
    cpu_ticks: u64,
    threads: u64,
    rss_pages: u64,
}

/// The fields of `/proc/PID/stat` the tree needs (the name in parentheses may hold spaces).
fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields from 3 (state): ppid 4, utime 14, stime 15, cutime 16, cstime 17, threads 20, rss 24.
    let n = |i: usize| f.get(i - 3).and_then(|x| x.parse::<u64>().ok());
    Some(ProcStat {
        ppid: n(4)? as u32,
        cpu_ticks: n(14)? + n(15)? + n(16)? + n(17)?,
        threads: n(20)?,
        rss_pages: n(24)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_the_machine_and_a_process_tree() {
        let mut s = Sampler::new(std::process::id());
        std::thread::sleep(std::time::Duration::from_millis(50));
        let keys: Vec<String> = s.sample().into_iter().map(|(k, _)| k).collect();
        for k in [
            "system/cpu_utilization_percentage",
            "system/system_memory_usage_megabytes",
            "system/system_memory_usage_percentage",
            "system/disk_usage_megabytes",
            "system/network_receive_megabytes",
            "system/process_cpu_percentage",
            "system/process_memory_rss_megabytes",
        ] {
            assert!(keys.iter().any(|x| x == k), "{k} missing from {keys:?}");
        }
    }

    #[test]
    fn a_gone_root_has_no_process_keys() {
        let mut s = Sampler::new(u32::MAX - 1);
        assert!(!s.sample().iter().any(|(k, _)| k.contains("process_")));
    }
}
