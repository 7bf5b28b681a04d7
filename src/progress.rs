//! Progress and Ctrl-C for the long commands besides `fuzz` (`run`, `campaign`, `experiment`):
//! a bar, or a spinner where the amount of work is not known, drawn on standard error once the
//! work has taken [`SHOW_AFTER`] and only when standard error is a terminal; and a watcher that
//! on Ctrl-C clears it, says what was kept and how to go on, and ends the process with 130.

use crate::EXIT_INTERRUPTED;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long work runs before its bar appears: a quick command draws nothing.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// The environment variable that replaces [`SHOW_AFTER`] (milliseconds; `0` draws at once).
pub const SHOW_AFTER_VAR: &str = "FAULTLINE_PROGRESS_AFTER_MS";

/// How long work runs before its bar appears: [`SHOW_AFTER_VAR`] if it holds a number of
/// milliseconds, else [`SHOW_AFTER`].
fn show_after() -> Duration {
    std::env::var(SHOW_AFTER_VAR)
        .ok()
        .and_then(|ms| ms.trim().parse().ok())
        .map_or(SHOW_AFTER, Duration::from_millis)
}

/// A bar over `total` steps counted in `unit` (e.g. `runs`), hidden until [`Watch`] shows it.
pub fn bar(total: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    let template = format!("{{bar:30}} {{pos}}/{{len}} {unit}, {{elapsed}}, ETA {{eta}} {{msg}}");
    bar.set_style(ProgressStyle::with_template(&template).expect("static template"));
    bar
}

/// A spinner saying `message` with the time elapsed, hidden until [`Watch`] shows it.
pub fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("static template"),
    );
    bar.set_message(message);
    bar
}

/// The command line as typed, for "run it again with" hints.
pub fn command_line() -> String {
    std::env::args()
        .map(|arg| {
            if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '\'') {
                format!("'{}'", arg.replace('\'', r"'\''"))
            } else {
                arg
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Watches a long command: shows its bar after [`SHOW_AFTER`] and, on Ctrl-C, clears the bar,
/// prints what `on_interrupt` says (what was kept, how to resume or rerun) and exits with
/// [`EXIT_INTERRUPTED`]. Dropping it stops the watching (and the bar's ticking).
pub struct Watch {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watch {
    /// Starts watching `bar` and Ctrl-C.
    pub fn start(bar: &ProgressBar, on_interrupt: impl Fn() -> String + Send + 'static) -> Watch {
        let ctrl_c = crate::interrupt::on_ctrl_c();
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || watch(&bar, &done, ctrl_c, &on_interrupt))
        };
        Watch {
            bar: bar.clone(),
            done,
            thread: Some(thread),
        }
    }
}

fn watch(
    bar: &ProgressBar,
    done: &AtomicBool,
    ctrl_c: &AtomicBool,
    on_interrupt: &dyn Fn() -> String,
) {
    let started = Instant::now();
    let show_after = show_after();
    let mut shown = false;
    while !done.load(Ordering::SeqCst) {
        if ctrl_c.load(Ordering::SeqCst) {
            bar.finish_and_clear();
            eprintln!("interrupted: {}", on_interrupt());
            std::process::exit(i32::from(EXIT_INTERRUPTED));
        }
        if !shown && started.elapsed() >= show_after {
            // Draws only if standard error is a terminal.
            bar.set_draw_target(ProgressDrawTarget::stderr());
            bar.enable_steady_tick(Duration::from_millis(200));
            shown = true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.bar.finish_and_clear();
    }
}
