use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::*;

const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

#[test]
fn only_exact_words_are_substituted() {
    assert_eq!(
        command_words("/bin/check  %h:%p %h %p %%h", LOCAL, 80),
        ["/bin/check", "%h:%p", "127.0.0.1", "80", "%%h"]
    );
}

#[test]
fn hostile_host_text_is_one_argv_element() {
    let argv = substitute("/bin/check -H %h -p %p", "1.2.3.4;rm -rf / $(reboot)", "80 81");
    assert_eq!(argv, ["/bin/check", "-H", "1.2.3.4;rm -rf / $(reboot)", "-p", "80 81"]);
}

#[test]
fn judge_follows_spec_4_4_with_failures_down() {
    let ok = |output: &[u8]| RunOutcome::Exited { success: true, output: output.to_vec() };
    let j = |o: &RunOutcome, e: Option<&[u8]>| judge(o, "/bin/check 127.0.0.1", e, LOCAL, 443);
    assert_eq!(j(&ok(b"OK\n"), Some(b"OK")), ProbeResult::ok());
    // §8 #10: only a trailing newline is stripped (`echo -n OK` stays `OK`).
    assert_eq!(j(&ok(b"OK"), Some(b"OK")), ProbeResult::ok());
    assert_eq!(
        j(&ok(b"OK\n\n"), Some(b"OK")).reason.as_deref(),
        Some("Trouble. Received results are not what we expected from (127.0.0.1:443)")
    );
    assert_eq!(
        j(&ok(b""), Some(b"OK")).reason.as_deref(),
        Some("Ran the external sending program to (127.0.0.1:443) but didn't get anything back")
    );
    assert_eq!(
        j(&ok(b""), None).reason.as_deref(),
        Some(
            "Ran the external sending program. The result and expected response are both NULL! \
             You may wish to revise your settings"
        )
    );
    assert_eq!(
        j(&ok(b"OK"), None).reason.as_deref(),
        Some("Expect string is NULL, but the external sending program returned a non-NULL result")
    );
    assert_eq!(
        j(&RunOutcome::TimedOut, Some(b"OK")).reason.as_deref(),
        Some("timeout running the following: /bin/check 127.0.0.1")
    );
    let failed = RunOutcome::Exited { success: false, output: b"OK".to_vec() };
    assert_eq!(
        j(&failed, Some(b"OK")).reason.as_deref(),
        Some("The following exited abnormally: /bin/check 127.0.0.1")
    );
    assert!(!j(&RunOutcome::SpawnFailed("x".into()), Some(b"OK")).ok);
}

/// Writes a shell script and returns the command that runs it (`/bin/sh PATH`; executing the
/// file itself races with other tests' forks holding it open for writing: ETXTBSY).
fn script(body: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!("health-program-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("s{}.sh", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&path, format!("{body}\n")).expect("write script");
    format!("/bin/sh {}", path.display())
}

/// Whether `pid` is gone or a zombie that is not ours (reparented to init).
fn process_dead(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

/// Waits until `pid` is dead (SIGKILL delivery is asynchronous), failing after 2 s.
async fn assert_dies(pid: &str) {
    for _ in 0..100 {
        if process_dead(pid) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("grandchild {pid} survived");
}

fn read_pid(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).expect("pid file").trim().to_owned()
}

fn argv(command: &str) -> Vec<String> {
    command.split(' ').map(str::to_owned).collect()
}

const LONG: Duration = Duration::from_secs(10);

#[tokio::test]
async fn program_with_expected_output_passes() {
    let s = script("echo \"$1:$2\"");
    let template = format!("{s} %h %p");
    assert_eq!(check(&template, Some(b"127.0.0.1:8080"), LOCAL, 8080, LONG).await, ProbeResult::ok());
}

#[tokio::test]
async fn nonzero_exit_is_down() {
    let s = script("echo OK; exit 3");
    let r = check(&s, Some(b"OK"), LOCAL, 80, LONG).await;
    assert!(!r.ok);
    assert!(r.reason.as_deref().is_some_and(|r| r.starts_with("The following exited abnormally: ")), "{r:?}");
}

#[tokio::test]
async fn missing_program_is_down() {
    let r = check("/nonexistent/checker %h", Some(b"OK"), LOCAL, 80, LONG).await;
    assert_eq!(r.reason.as_deref(), Some("The following exited abnormally: /nonexistent/checker 127.0.0.1"));
}

#[tokio::test]
async fn hanging_program_is_killed_and_reaped() {
    let pid_file = std::env::temp_dir().join(format!("health-hang-{}", std::process::id()));
    let s = script(&format!("echo $$ > {}\nexec sleep 100", pid_file.display()));
    let started = std::time::Instant::now();
    let outcome = run(&argv(&s), Duration::from_millis(500)).await;
    assert_eq!(outcome, RunOutcome::TimedOut);
    assert!(started.elapsed() < LONG, "the timeout is enforced");
    let pid = read_pid(&pid_file);
    // Reaped: no zombie of ours remains.
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "child {pid} still exists");
}

#[tokio::test]
async fn children_left_behind_are_killed() {
    let pid_file = std::env::temp_dir().join(format!("health-fork-{}", std::process::id()));
    let s = script(&format!("sleep 100 &\necho $! > {}\necho OK", pid_file.display()));
    let outcome = run(&argv(&s), LONG).await;
    assert_eq!(outcome, RunOutcome::Exited { success: true, output: b"OK\n".to_vec() });
    assert_dies(&read_pid(&pid_file)).await;
}

#[tokio::test]
async fn hanging_child_of_a_hanging_program_is_killed_too() {
    let pid_file = std::env::temp_dir().join(format!("health-fork2-{}", std::process::id()));
    let s = script(&format!("sleep 100 &\necho $! > {}\nwait", pid_file.display()));
    let outcome = run(&argv(&s), Duration::from_millis(500)).await;
    assert_eq!(outcome, RunOutcome::TimedOut);
    assert_dies(&read_pid(&pid_file)).await;
}

#[tokio::test]
async fn huge_output_is_bounded_and_does_not_block() {
    let s = script("head -c 3000000 /dev/zero; echo");
    match run(&argv(&s), LONG).await {
        RunOutcome::Exited { success: true, output } => assert_eq!(output.len(), MAX_OUTPUT),
        other => panic!("{other:?}"),
    }
}
