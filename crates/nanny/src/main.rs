//! nanny: Piranha-compatible real-server monitor. See the library for the modes.

fn main() {
    // SIGPIPE is ignored by the Rust runtime before `main` (spec §8 item 27); a write to a
    // closed lvsd pipe then returns EPIPE, which nanny treats as "lvsd is gone".
    // No capability at all, and none for what it runs (send_program): before any
    // thread exists, since capabilities belong to a thread.
    if let Err(e) = daemon::privilege::keep_only(&[], daemon::privilege::Children::Limited) {
        eprintln!("nanny: {e}");
        std::process::exit(1);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nanny: cannot start: {e}");
            std::process::exit(1);
        }
    };
    let code = runtime.block_on(nanny::run(std::env::args_os().collect()));
    drop(runtime);
    std::process::exit(code);
}
