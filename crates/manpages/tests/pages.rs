//! The pages committed under `man/` are what the generator renders now, and every page
//! there (the generated ones and the hand-written lvs.cf.5) renders without a groff warning.

use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "regenerate them with `cargo run -p manpages -- man/` and commit man/";

fn man_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../man")
}

#[test]
fn committed_pages_equal_the_rendered_ones() {
    let mut stale = Vec::new();
    for name in manpages::PAGES {
        let path = man_dir().join(manpages::file_name(name));
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != manpages::render(name).expect("known page") {
            stale.push(path.display().to_string());
        }
    }
    assert!(stale.is_empty(), "out of date or missing: {}; {REGENERATE}", stale.join(", "));
}

#[test]
fn every_page_in_man_renders_without_groff_warnings() {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(man_dir())
        .expect("man/ exists")
        .map(|entry| entry.expect("readable man/").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "5" || ext == "8"))
        .collect();
    pages.sort();
    assert!(pages.len() > manpages::PAGES.len(), "expected the generated pages and lvs.cf.5 in man/");
    for page in pages {
        // -ww: all warnings; -z: no output, only the diagnostics.
        let output = Command::new("groff")
            .args(["-man", "-ww", "-z", "-Tutf8"])
            .arg(&page)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run groff ({e}): install it (Debian: apt-get install groff-base; ./test does so when it is missing)"
                )
            });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success() && stderr.is_empty(),
            "groff -man -ww -z -Tutf8 {}: {}\n{stderr}",
            page.display(),
            output.status
        );
    }
}

#[test]
fn lvs_cf_5_has_an_entry_for_every_keyword_the_parser_knows() {
    let page = std::fs::read_to_string(man_dir().join("lvs.cf.5")).expect("man/lvs.cf.5");
    let keywords = lvs_config::GLOBAL_KEYWORDS
        .iter()
        .chain(lvs_config::VIRTUAL_KEYWORDS)
        .chain(lvs_config::SERVER_KEYWORDS);
    // An entry is a tag line such as `.BI "keepalive = " INT`, or `.BI "virtual " NAME " {"`.
    let missing: Vec<&str> = keywords
        .filter(|k| {
            !page.lines().any(|l| {
                l.starts_with(".B")
                    && (l.contains(&format!("\"{k} = ")) || l.contains(&format!("\"{k} \" NAME")))
            })
        })
        .copied()
        .collect();
    assert!(missing.is_empty(), "man/lvs.cf.5 does not document: {}", missing.join(", "));
}
