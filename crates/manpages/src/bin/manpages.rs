//! `manpages DIR`: writes pulse.8, lvsd.8, nanny.8, send_arp.8 and lvsctl.8 into DIR
//! (the repository keeps them in `man/`: `cargo run -p manpages -- man/`).

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: manpages DIR");
        return ExitCode::from(2);
    };
    let dir = PathBuf::from(dir);
    for name in manpages::PAGES {
        let page = manpages::render(name).expect("every name in PAGES has a page");
        let path = dir.join(manpages::file_name(name));
        if let Err(e) = std::fs::write(&path, page) {
            eprintln!("manpages: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("{}", path.display());
    }
    ExitCode::SUCCESS
}
