//! A line diff small enough to read in a failed assertion.

use std::fmt::Write as _;

/// How many differing lines to show before cutting the report short.
const SHOWN: usize = 20;

/// Lines of `expected` and `actual` that differ, as `-`/`+` pairs with
/// 1-based line numbers; empty when the texts are equal. The line endings
/// are shown escaped, so a lost `\r` is visible.
pub fn lines(expected: &str, actual: &str) -> String {
    if expected == actual {
        return String::new();
    }
    let e: Vec<&str> = expected.split_inclusive('\n').collect();
    let a: Vec<&str> = actual.split_inclusive('\n').collect();
    // Skip the common head and tail so an inserted or removed line shows
    // up as that line only.
    let head = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let tail = e[head..].iter().rev().zip(a[head..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (e_mid, a_mid) = (&e[head..e.len() - tail], &a[head..a.len() - tail]);
    let mut out =
        format!("{} expected lines, {} actual; they differ from line {}:\n", e.len(), a.len(), head + 1);
    for (i, line) in e_mid.iter().enumerate().take(SHOWN) {
        let _ = writeln!(out, "-{:>6} {line:?}", head + i + 1);
    }
    for (i, line) in a_mid.iter().enumerate().take(SHOWN) {
        let _ = writeln!(out, "+{:>6} {line:?}", head + i + 1);
    }
    if e_mid.len().max(a_mid.len()) > SHOWN {
        out.push_str("  …\n");
    }
    out
}
