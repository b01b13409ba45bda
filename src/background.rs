//! Background threads give way to interactive ones. Downloads, disk work and thumbnail decoding
//! run in the kernel's batch class (Linux `SCHED_BATCH`): the same share of the CPU and the same
//! nice value, but a batch thread woken by the network or the disk waits for the running thread's
//! turn to end instead of preempting it. The window's UI thread stays interactive, and a headless
//! `magpie fetch` or `magpie thumbs` (wholly batch work) stops interrupting itself: its network,
//! disk and reporting threads had been preempting one another on nearly every wake-up. For 500
//! downloads at `-j 16` that was a third of the context switches and about a tenth of the CPU
//! time (README, Performance).
//!
//! Elsewhere this does nothing; where the kernel refuses, the thread keeps its class.

/// Puts the calling thread in the batch class, keeping its nice value.
pub fn mark_current_thread() {
    #[cfg(target_os = "linux")]
    if let Err(e) = linux::batch() {
        tracing::debug!("cannot put a background thread in the batch class: {e}");
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };

    const BATCH: ThreadSchedulePolicy =
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);

    pub(super) fn batch() -> Result<(), String> {
        // Setting a normal class also sets a nice value: pass the thread's own, so the user's
        // `nice` (or a lowered one) is kept. The crate takes it as a 0–99 "cross-platform" value.
        let nice = rustix::process::getpriority_process(None).map_err(|e| e.to_string())?;
        let priority = (*ThreadPriorityValue::MIN..=*ThreadPriorityValue::MAX)
            .filter_map(|p| ThreadPriorityValue::try_from(p).ok())
            .map(ThreadPriority::Crossplatform)
            .find(|p| p.to_posix(BATCH).is_ok_and(|n| n == nice))
            .ok_or_else(|| format!("nice value {nice} has no batch equivalent"))?;
        thread_priority::set_thread_priority_and_policy(
            thread_priority::thread_native_id(),
            priority,
            BATCH,
        )
        .map_err(|e| format!("{e:?}"))
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The class and nice value of the calling thread, as the kernel reports them.
    fn class_and_nice() -> (i32, i32) {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
        // Fields after the command name (which may hold spaces): state is field 3.
        let rest = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        (
            fields[41 - 3].parse().expect("policy"),
            fields[19 - 3].parse().expect("nice"),
        )
    }

    #[test]
    fn a_marked_thread_is_batch_and_keeps_its_nice_value() {
        std::thread::Builder::new()
            .name("magpie-test-batch".into())
            .spawn(|| {
                // As if started with `nice -n 5` (raising one's own nice needs no privilege).
                rustix::process::setpriority_process(None, 5).expect("nice");
                assert_eq!(
                    class_and_nice(),
                    (0, 5),
                    "a new thread starts in the normal class"
                );
                super::mark_current_thread();
                assert_eq!(class_and_nice(), (3, 5), "SCHED_BATCH is 3");
            })
            .expect("spawn")
            .join()
            .expect("thread");
    }
}
