//! Ctrl-C during a long command: the first one asks the work to stop at the next safe point
//! (a sweep finishes and records the seeds already running, then says how to resume); a second
//! one ends the process at once.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the first Ctrl-C.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
    // The next Ctrl-C gets the default action: end the process. (`signal` is async-signal-safe.)
    // SAFETY: restoring the default disposition of SIGINT from a handler is allowed by POSIX.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_DFL);
    }
}

/// Installs the Ctrl-C handler and returns the flag it sets.
pub fn on_ctrl_c() -> &'static AtomicBool {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only stores to an atomic and calls `signal`, both async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
    &INTERRUPTED
}
