//! `pulse`: the heartbeat daemon of an LVS router pair.

fn main() -> std::process::ExitCode {
    pulse::start::main(std::env::args_os())
}
