//! `fuzz --for DURATION`: a sweep that stops starting seeds before a wall-clock limit, so a
//! runner with a time limit (a CI job, a nightly slot) sweeps as far as it can and still writes
//! its results, JUnit and page. Wall time only decides when to stop, never what a seed does:
//! every seed's result stays a function of the template and the seed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest `--for` accepted: 30 days.
pub const MAX_TIME_LIMIT: Duration = Duration::from_secs(30 * 24 * 3600);

/// How long before the limit a sweep stops starting seeds, so that the seeds running then finish
/// and the outputs are written in time: a twentieth of the limit, at most 10 minutes.
pub fn margin(limit: Duration) -> Duration {
    (limit / 20).min(Duration::from_secs(600))
}

/// A watcher that raises one stop flag on Ctrl-C or when the time is up.
pub struct StopWatch {
    stop: &'static AtomicBool,
    time_up: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StopWatch {
    /// Watches `ctrl_c` and, with a `limit`, the clock (stopping [`margin`] before the limit).
    pub fn start(ctrl_c: &'static AtomicBool, limit: Option<Duration>) -> StopWatch {
        let stop: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let time_up = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        let deadline = limit.map(|limit| Instant::now() + limit - margin(limit));
        let thread = {
            let (time_up, done) = (time_up.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::SeqCst) {
                    let late = deadline.is_some_and(|d| Instant::now() >= d);
                    if late {
                        time_up.store(true, Ordering::SeqCst);
                    }
                    if late || ctrl_c.load(Ordering::SeqCst) {
                        stop.store(true, Ordering::SeqCst);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        StopWatch {
            stop,
            time_up,
            done,
            thread: Some(thread),
        }
    }

    /// The flag the sweep polls before starting each seed.
    pub fn flag(&self) -> &'static AtomicBool {
        self.stop
    }

    /// True when the time limit (not Ctrl-C) stopped the sweep.
    pub fn time_up(&self) -> bool {
        self.time_up.load(Ordering::SeqCst)
    }
}

impl Drop for StopWatch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_margin_is_a_twentieth_and_at_most_ten_minutes() {
        assert_eq!(margin(Duration::from_secs(100)), Duration::from_secs(5));
        assert_eq!(
            margin(Duration::from_secs(8 * 3600)),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn the_flag_rises_when_the_time_is_up_and_says_why() {
        static NEVER: AtomicBool = AtomicBool::new(false);
        let watch = StopWatch::start(&NEVER, Some(Duration::from_millis(100)));
        while !watch.flag().load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(watch.time_up());
    }
}
