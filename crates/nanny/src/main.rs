//! nanny: Piranha-compatible real-server monitor. See the library for the modes.

fn main() {
    // SIGPIPE is ignored by the Rust runtime before `main` (spec §8 item 27); a write to a
    // closed lvsd pipe then returns EPIPE, which nanny treats as "lvsd is gone".
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
