//! The client of the failover benchmark (VM scenario 92): an open-loop HTTP
//! client that starts a request every INTERVAL milliseconds, each on a new
//! connection and in its own thread, whether or not the earlier ones have
//! answered, and appends one line per request to LOG:
//! `START END ok|fail` (seconds since the Unix epoch).
//!
//! Open loop matters: a client that waits for each answer measures its own
//! timeout after a failover (its requests sent into the dead path must time
//! out first), not the routers' takeover.
//!
//! Usage: `outage-client ADDRESS:PORT LOG [INTERVAL_MS [TIMEOUT_MS]]`
//! (defaults 10 and 1000). Runs until killed.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Requests in flight at most; more are skipped (and logged as failures).
/// Above a whole timeout's worth at the benchmark's fastest pace (1 ms, the
/// native rows): a cap below that skipped requests after a 3 s outage until
/// the lost ones had timed out, and added tens of ms to the measured outage.
const MAX_IN_FLIGHT: usize = 1500;

fn unix_now() -> f64 {
    SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs_f64()
}

/// One request: connect, `GET /`, and an answer starting `HTTP/1.`, all
/// within `timeout`.
fn request(address: SocketAddr, timeout: Duration) -> bool {
    let begun = Instant::now();
    let Ok(mut stream) = TcpStream::connect_timeout(&address, timeout) else { return false };
    let left = timeout.saturating_sub(begun.elapsed()).max(Duration::from_millis(1));
    if stream.set_read_timeout(Some(left)).is_err() || stream.set_write_timeout(Some(left)).is_err() {
        return false;
    }
    if stream.write_all(b"GET / HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut answer = [0u8; 64];
    let mut have = 0;
    while have < 7 {
        match stream.read(&mut answer[have..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => have += n,
        }
    }
    answer[..have].starts_with(b"HTTP/1.")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: outage-client ADDRESS:PORT LOG [INTERVAL_MS [TIMEOUT_MS]]");
        std::process::exit(2);
    }
    let address: SocketAddr = args[1].parse().unwrap_or_else(|e| {
        eprintln!("outage-client: {}: {e}", args[1]);
        std::process::exit(2)
    });
    let millis = |i: usize, default: u64| args.get(i).map_or(Ok(default), |t| t.parse::<u64>());
    let (Ok(interval), Ok(timeout)) = (millis(3, 10), millis(4, 1000)) else {
        eprintln!("outage-client: INTERVAL_MS and TIMEOUT_MS are whole milliseconds");
        std::process::exit(2)
    };
    let log = OpenOptions::new().create(true).append(true).open(&args[2]).unwrap_or_else(|e| {
        eprintln!("outage-client: {}: {e}", args[2]);
        std::process::exit(2)
    });
    let log = Arc::new(Mutex::new(log));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (interval, timeout) = (Duration::from_millis(interval.max(1)), Duration::from_millis(timeout));
    let mut next = Instant::now();
    loop {
        let start = unix_now();
        let record = {
            let log = Arc::clone(&log);
            move |ok: bool| {
                let line = format!("{start:.4} {:.4} {}\n", unix_now(), if ok { "ok" } else { "fail" });
                // One write per line, so a reader never sees half a line.
                let _ = log.lock().map(|mut file| file.write_all(line.as_bytes()));
            }
        };
        if in_flight.fetch_add(1, Ordering::SeqCst) < MAX_IN_FLIGHT {
            let mine = Arc::clone(&in_flight);
            let spawned = std::thread::Builder::new().stack_size(64 * 1024).spawn(move || {
                record(request(address, timeout));
                mine.fetch_sub(1, Ordering::SeqCst);
            });
            if spawned.is_err() {
                in_flight.fetch_sub(1, Ordering::SeqCst);
                eprintln!("outage-client: cannot start a thread");
            }
        } else {
            in_flight.fetch_sub(1, Ordering::SeqCst);
            record(false);
        }
        next += interval;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            // Fell behind (a loaded host): do not burst to catch up.
            next = now;
        }
    }
}
