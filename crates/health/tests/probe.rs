//! Probes against real loopback servers (no root needed).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use health::ProbeResult;
use health::expect::Expect;
use health::probe::{CheckFlags, CheckSpec, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, UdpSocket};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const T: Duration = Duration::from_secs(2);

fn tcp(send: Option<&[u8]>, expect: Option<&str>, regex: bool) -> CheckSpec {
    CheckSpec {
        transport: Transport::Tcp,
        send: send.map(<[u8]>::to_vec),
        expect: expect.map(|e| Expect::new(e.as_bytes(), regex)),
        program: None,
        timeout: T,
    }
}

fn udp(send: &[u8], expect: Option<&str>) -> CheckSpec {
    CheckSpec { transport: Transport::Udp, ..tcp(Some(send), expect, false) }
}

/// A TCP server that answers every connection with `reply` chunks (pausing `gap` between them)
/// after reading one request chunk if `read_first`, then keeps the connection open for `hold`.
async fn tcp_server(reply: Vec<Vec<u8>>, gap: Duration, hold: Duration) -> u16 {
    let listener = TcpListener::bind((LOCAL, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 512];
                let _ = tokio::time::timeout(Duration::from_millis(200), conn.read(&mut buf)).await;
                for chunk in reply {
                    if conn.write_all(&chunk).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(gap).await;
                }
                tokio::time::sleep(hold).await;
            });
        }
    });
    port
}

fn reason(r: &ProbeResult) -> &str {
    r.reason.as_deref().unwrap_or("")
}

#[tokio::test]
async fn http_server_answering_correctly_passes() {
    let port = tcp_server(vec![b"HTTP/1.0 200 OK\r\n\r\nhi".to_vec()], Duration::ZERO, Duration::ZERO).await;
    let check = tcp(Some(b"GET / HTTP/1.0\r\n\r\n"), Some("HTTP"), false);
    assert_eq!(check.probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn default_check_on_port_80_is_http() {
    let (spec, default) = CheckSpec::from_flags(&CheckFlags {
        transport: Transport::Tcp,
        vport: 80,
        send: None,
        expect: None,
        program: None,
        use_regex: false,
        suppress_escapes: false,
        timeout: T,
    });
    assert!(default);
    assert_eq!(spec.send.as_deref(), Some(&b"GET / HTTP/1.0\r\n\r\n"[..]));
    let port = tcp_server(vec![b"HTTP/1.1 404".to_vec()], Duration::ZERO, Duration::ZERO).await;
    assert_eq!(spec.probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn escapes_are_decoded_unless_suppressed() {
    let flags = CheckFlags {
        transport: Transport::Tcp,
        vport: 8080,
        send: Some(br"PING\r\n".to_vec()),
        expect: Some(br"+PONG\r".to_vec()),
        program: None,
        use_regex: false,
        suppress_escapes: false,
        timeout: T,
    };
    let (spec, default) = CheckSpec::from_flags(&flags);
    assert!(!default);
    assert_eq!(spec.send.as_deref(), Some(&b"PING\r\n"[..]));
    assert_eq!(spec.expect.as_ref().map(Expect::text), Some(&b"+PONG\r"[..]));
    let (spec, _) = CheckSpec::from_flags(&CheckFlags { suppress_escapes: true, ..flags });
    assert_eq!(spec.send.as_deref(), Some(&br"PING\r\n"[..]));
}

#[tokio::test]
async fn wrong_answer_fails() {
    let port = tcp_server(vec![b"SSH-2.0-OpenSSH".to_vec()], Duration::ZERO, Duration::ZERO).await;
    let r = tcp(None, Some("HTTP"), false).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ from 127.0.0.1:{port} did not match the expected response"));
}

#[tokio::test]
async fn short_answer_is_too_short() {
    let port = tcp_server(vec![b"HT".to_vec()], Duration::ZERO, Duration::ZERO).await;
    let r = tcp(None, Some("HTTP"), false).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ from 127.0.0.1:{port} was too short[2>=4]"));
}

#[tokio::test]
async fn answer_split_over_segments_passes() {
    let port =
        tcp_server(vec![b"HT".to_vec(), b"TP/1.0".to_vec()], Duration::from_millis(50), Duration::ZERO).await;
    assert_eq!(tcp(None, Some("HTTP"), false).probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn star_accepts_an_immediate_close() {
    let port = tcp_server(Vec::new(), Duration::ZERO, Duration::ZERO).await;
    assert_eq!(tcp(None, Some("*"), false).probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn regex_matches_anywhere_in_the_first_bytes() {
    let port =
        tcp_server(vec![b"220 mail ESMTP ready\r\n".to_vec()], Duration::ZERO, Duration::from_secs(30)).await;
    // Matches without waiting for the connection to close.
    let r = tokio::time::timeout(Duration::from_secs(1), tcp(None, Some("ESMTP"), true).probe(LOCAL, port))
        .await
        .expect("decided on the first bytes");
    assert_eq!(r, ProbeResult::ok());
}

#[tokio::test]
async fn bad_regex_fails_every_probe() {
    let port = tcp_server(vec![b"x".to_vec()], Duration::ZERO, Duration::ZERO).await;
    let r = tcp(None, Some("(oops"), true).probe(LOCAL, port).await;
    assert_eq!(reason(&r), "Error '(oops' processing expected regular expression");
}

#[tokio::test]
async fn no_expect_passes_after_connect() {
    let port = tcp_server(Vec::new(), Duration::ZERO, Duration::from_secs(30)).await;
    assert_eq!(tcp(Some(b"hello"), None, false).probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn refused_port_fails() {
    let listener = TcpListener::bind((LOCAL, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let r = tcp(None, None, false).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("Failed to connect 127.0.0.1:{port} ping socket: Connection refused"));
}

#[tokio::test(start_paused = true)]
async fn silent_server_times_out() {
    let port = tcp_server(Vec::new(), Duration::ZERO, Duration::from_secs(3600)).await;
    let r = tcp(Some(b"GET /\r\n"), Some("HTTP"), false).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ to 127.0.0.1:{port} timed out"));
}

#[tokio::test(start_paused = true)]
async fn stalled_reply_is_judged_on_what_arrived() {
    let port = tcp_server(vec![b"HT".to_vec()], Duration::ZERO, Duration::from_secs(3600)).await;
    let r = tcp(None, Some("HTTP"), false).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ from 127.0.0.1:{port} was too short[2>=4]"));
}

#[tokio::test]
async fn megabyte_reply_is_read_bounded() {
    // 64 MiB of 'H...' : the probe reads only what matching needs and hangs up.
    let chunk = vec![b'H'; 1 << 20];
    let port = tcp_server(vec![chunk; 64], Duration::ZERO, Duration::ZERO).await;
    let r = tcp(None, Some("HHHH"), false).probe(LOCAL, port).await;
    assert_eq!(r, ProbeResult::ok());
    let r = tcp(None, Some("no such text"), true).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ from 127.0.0.1:{port} did not match the expected response"));
}

/// A UDP server that answers every datagram with `reply` (or stays silent with `None`).
async fn udp_server(reply: Option<&'static [u8]>) -> u16 {
    let socket = UdpSocket::bind((LOCAL, 0)).await.expect("bind");
    let port = socket.local_addr().expect("addr").port();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((_, peer)) = socket.recv_from(&mut buf).await {
            if let Some(reply) = reply {
                let _ = socket.send_to(reply, peer).await;
            }
        }
    });
    port
}

#[tokio::test]
async fn udp_answer_matching_passes() {
    let port = udp_server(Some(b"PONG and more")).await;
    assert_eq!(udp(b"PING", Some("PONG")).probe(LOCAL, port).await, ProbeResult::ok());
    let r = udp(b"PING", Some("PANG")).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ from 127.0.0.1:{port} did not match the expected response"));
}

#[tokio::test]
async fn spec_8_11_udp_without_expect_passes_on_any_datagram() {
    let port = udp_server(Some(b"x")).await;
    assert_eq!(udp(b"PING", None).probe(LOCAL, port).await, ProbeResult::ok());
    let port = udp_server(Some(b"")).await;
    assert_eq!(udp(b"PING", None).probe(LOCAL, port).await, ProbeResult::ok());
}

#[tokio::test]
async fn udp_closed_port_fails_with_the_icmp_error() {
    let socket = UdpSocket::bind((LOCAL, 0)).await.expect("bind");
    let port = socket.local_addr().expect("addr").port();
    drop(socket);
    let r = udp(b"PING", Some("PONG")).probe(LOCAL, port).await;
    assert_eq!(reason(&r), "READ returned error 111:Connection refused");
}

#[tokio::test(start_paused = true)]
async fn udp_silent_server_times_out() {
    let port = udp_server(None).await;
    let r = udp(b"PING", Some("PONG")).probe(LOCAL, port).await;
    assert_eq!(reason(&r), format!("READ to 127.0.0.1:{port} timed out"));
}

#[tokio::test]
async fn program_check_replaces_the_socket_probe() {
    let check = CheckSpec {
        program: Some("/bin/echo %h %p".into()),
        ..tcp(Some(b"ignored"), Some("127.0.0.1 9"), false)
    };
    assert_eq!(check.probe(LOCAL, 9).await, ProbeResult::ok());
}

#[tokio::test]
async fn a_probe_closes_with_a_reset_so_no_side_keeps_time_wait() {
    // The server waits for the prober to close and tells how it ended.
    let listener = TcpListener::bind((LOCAL, 0)).await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut ends = Vec::new();
        for _ in 0..2 {
            let (mut conn, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 512];
            let end = loop {
                match conn.read(&mut buf).await {
                    Ok(0) => break "FIN",
                    Ok(_) => {
                        let _ = conn.write_all(b"HTTP/1.0 200 OK\r\n\r\n").await;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break "RST",
                    Err(_) => break "error",
                }
            };
            ends.push(end);
        }
        ends
    });
    assert_eq!(tcp(None, None, false).probe(LOCAL, port).await, ProbeResult::ok());
    let http = tcp(Some(b"GET / HTTP/1.0\r\n\r\n"), Some("HTTP"), false);
    assert_eq!(http.probe(LOCAL, port).await, ProbeResult::ok());
    let ends =
        tokio::time::timeout(Duration::from_secs(10), server).await.expect("server done").expect("server");
    assert_eq!(ends, ["RST", "RST"]);
}
