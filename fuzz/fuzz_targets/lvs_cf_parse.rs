//! lvs.cf from arbitrary bytes: the parser never panics, `Document`
//! re-emits the text exactly, and a config that parses is written by
//! `write` as text that parses back to the same config.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    assert_eq!(lvs_config::Document::new(&text).text(), text, "Document changed the text");
    let Ok(parsed) = lvs_config::parse(&text) else { return };
    let written = lvs_config::write(&parsed.config);
    match lvs_config::parse(&written) {
        Ok(again) => assert_eq!(again.config, parsed.config, "round trip changed the config:\n{written}"),
        Err(e) => panic!("written config does not parse: {:?}\n{written}", e.diagnostics),
    }
});
