//! Benchmarks of the lvs.cf pipeline on the generated 1,000 × 20 file
//! (`tests/data/large-1000x20.cf`, 21,000 blocks, 1.6 MB).
//!
//! Run with `cargo bench -p lvs-config --bench parse`. Target: parsing the
//! file in under 50 ms.

use std::sync::LazyLock;

use divan::black_box;

fn main() {
    divan::main();
}

static LARGE: LazyLock<String> = LazyLock::new(|| {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/large-1000x20.cf");
    std::fs::read_to_string(path).expect("the generated test file is checked in")
});

static CONFIG: LazyLock<lvs_config::Config> =
    LazyLock::new(|| lvs_config::parse(&LARGE).expect("the large file parses").config);

/// Text to validated model.
#[divan::bench]
fn parse_1000x20() -> lvs_config::Parsed {
    lvs_config::parse(black_box(&LARGE)).expect("the large file parses")
}

/// Model to the steady-state IPVS table.
#[divan::bench]
fn desired_table_1000x20() -> ipvs::Table {
    lvs_config::desired::desired_table(black_box(&CONFIG))
}

/// The rules text of the table (what `lvsctl --rules` prints).
#[divan::bench]
fn to_rules_1000x20(bencher: divan::Bencher<'_, '_>) {
    let table = lvs_config::desired::desired_table(&CONFIG);
    bencher.bench(|| black_box(&table).to_rules());
}

/// The editing writer: split into lines and re-emit byte for byte.
#[divan::bench]
fn document_new_and_text_1000x20() -> String {
    lvs_config::Document::new(black_box(&LARGE)).text()
}

/// The canonical writer.
#[divan::bench]
fn write_1000x20() -> String {
    lvs_config::write(black_box(&CONFIG))
}
