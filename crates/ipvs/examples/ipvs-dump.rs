//! Prints the kernel's IPVS table as `ipvsadm -Sn` would.
//!
//! `cargo run -p ipvs --example ipvs-dump` (needs CAP_NET_ADMIN). With
//! `--info`, prints the version line first, like the head of `ipvsadm -L`;
//! with `--timeouts` and `--daemons`, those too.

use std::process::ExitCode;

use ipvs::{Client, IpvsError, IpvsKernel};

fn run() -> Result<(), IpvsError> {
    let mut client = Client::open()?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wants = |flag: &str| args.iter().any(|a| a == flag);
    if wants("--info") {
        println!("# {}", client.info()?);
    }
    if wants("--timeouts") {
        let t = client.timeouts()?;
        println!("# timeouts: tcp {} tcpfin {} udp {}", t.tcp, t.tcp_fin, t.udp);
    }
    if wants("--daemons") {
        for daemon in client.daemons()? {
            println!("# {daemon}");
        }
    }
    print!("{}", client.snapshot()?.to_rules());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipvs-dump: {e}");
            ExitCode::FAILURE
        }
    }
}
