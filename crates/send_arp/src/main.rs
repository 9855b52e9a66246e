//! send_arp: sends one gratuitous ARP reply. See the library for the command line.

fn main() {
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    if let Err(failure) = send_arp::run(&args) {
        eprint!("{failure}");
        std::process::exit(1);
    }
}
