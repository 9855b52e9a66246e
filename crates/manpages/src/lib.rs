//! The man pages of pulse(8), lvsd(8), nanny(8), send_arp(8) and lvsctl(8), rendered with
//! `clap_mangen` from the programs' own clap command lines, so the OPTIONS sections cannot
//! drift from what the binaries accept.
//!
//! clap supplies NAME, SYNOPSIS and OPTIONS (and lvsctl's commands); this crate adds a
//! one-line NAME text, the DESCRIPTION and the FILES, EXIT STATUS and SEE ALSO sections.
//! send_arp keeps the original's hand-parsed command line (spec §5), so its clap
//! [`Command`] is built here to describe it.
//!
//! lvs.cf(5) is hand-written (`man/lvs.cf.5`): it documents a file format, not a command
//! line. The bin `manpages DIR` writes every generated page into DIR.
//!
//! ```
//! let page = manpages::render("pulse").expect("pulse is one of the pages");
//! assert!(String::from_utf8(page).unwrap().contains("\n.TH pulse 8 "));
//! ```

use clap::{Arg, ArgAction, Command, CommandFactory};
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

mod text;

/// The programs with a generated page, in the order the bin writes them.
pub const PAGES: [&str; 5] = ["pulse", "lvsd", "nanny", "send_arp", "lvsctl"];

/// The manual section of every generated page (system administration commands).
pub const SECTION: &str = "8";

/// The `.TH` date: the last non-trivial change to the generated pages. Fixed rather than
/// "today" so that rendering is reproducible and the committed pages can be compared with it.
pub const DATE: &str = "2026-11-25";

/// The `.TH` manual name.
pub const MANUAL: &str = "System Administration";

/// The `.TH` source: the project and its version.
pub fn source() -> String {
    format!("piranha-rs {}", env!("CARGO_PKG_VERSION"))
}

/// The file name of `name`'s page: `pulse.8`.
pub fn file_name(name: &str) -> String {
    format!("{name}.{SECTION}")
}

/// The clap command line of program `name` (one of [`PAGES`]).
pub fn command(name: &str) -> Option<Command> {
    Some(match name {
        "pulse" => pulse::cli::Cli::command(),
        "lvsd" => lvsd::Cli::command(),
        "nanny" => nanny::args::Options::command(),
        "send_arp" => send_arp_command(),
        "lvsctl" => lvsctl::Cli::command(),
        _ => return None,
    })
}

/// The roff text of `name`'s man page, or `None` when `name` is not one of [`PAGES`].
pub fn render(name: &str) -> Option<Vec<u8>> {
    let page = text::page(name)?;
    // NAME gets the short whatis text and DESCRIPTION the page's own text; the commands'
    // about texts are written for `--help` (nanny's runs to several sentences).
    let mut command = command(name)?.about(page.whatis).long_about(page.description).mut_args(show_aliases);
    // Adds --help and --version, so that the OPTIONS test below sees them.
    command.build();
    let man = Man::new(command.clone()).section(SECTION).date(DATE).source(source()).manual(MANUAL);

    // Every piece clap_mangen and roff render starts with roff's apostrophe preamble; the
    // page carries it once, before the title.
    let mut page_text = Roff::new().render();
    page_text += &piece(|w| man.render_title(w));
    page_text += &piece(|w| man.render_name_section(w));
    page_text += &piece(|w| man.render_synopsis_section(w));
    page_text += &piece(|w| man.render_description_section(w));
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        page_text += &piece(|w| man.render_options_section(w));
    }
    if command.has_subcommands() {
        page_text += &subcommands(&command);
    }
    for section in page.sections {
        page_text += &extra_section(section);
    }
    Some(page_text.into_bytes())
}

/// What `render` writes, without roff's preamble.
fn piece(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail, and roff renders UTF-8 from UTF-8 input.
    render(&mut out).expect("rendering into memory");
    let text = String::from_utf8(out).expect("roff output is UTF-8");
    let preamble = Roff::new().render();
    text.strip_prefix(&preamble).map(str::to_owned).unwrap_or(text)
}

/// clap_mangen 0.3 leaves visible aliases out of OPTIONS, yet they are the spellings
/// Piranha's manual pages and scripts use (`--lvs`, `--norun`, `--UDP`, ...): name them in
/// the option's help text.
fn show_aliases(arg: Arg) -> Arg {
    let aliases: Vec<String> =
        arg.get_visible_aliases().unwrap_or_default().iter().map(|alias| format!("--{alias}")).collect();
    if aliases.is_empty() {
        return arg;
    }
    let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
    // clap drops the final period of a doc comment; the sentence added needs one before it.
    let help = help.trim_end().trim_end_matches('.');
    let help = format!("{help}. Also accepted as {}.", aliases.join(", "));
    arg.help(help)
}

/// A COMMANDS section for a command with subcommands (lvsctl): each subcommand's synopsis,
/// description and options under its own `.SS` heading, so the one page documents them all
/// (clap_mangen itself would only list them, each referring to a page of its own).
fn subcommands(command: &Command) -> String {
    let mut out = String::from(".SH COMMANDS\n");
    let name = command.get_name();
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        let sub = sub.clone().bin_name(format!("{name} {}", sub.get_name()));
        let man = Man::new(sub.clone());
        let mut heading = Roff::new();
        heading.control("SS", [sub.get_name()]);
        let mut part = piece(|w| heading.to_writer(w));
        part += &piece(|w| man.render_synopsis_section(w));
        if let Some(about) = sub.get_about() {
            let mut roff = Roff::new();
            roff.control("PP", []);
            for line in about.to_string().lines() {
                roff.text([roman(line)]);
            }
            part += &piece(|w| roff.to_writer(w));
        }
        if sub.get_arguments().any(|a| !a.is_hide_set()) {
            part += &piece(|w| man.render_options_section(w));
        }
        // The subcommand's own section headings (SYNOPSIS, OPTIONS) would end COMMANDS.
        for line in part.lines().filter(|line| !line.starts_with(".SH ")) {
            out += line;
            out.push('\n');
        }
    }
    out
}

/// One hand-written section.
fn extra_section(section: &text::Section) -> String {
    let mut roff = Roff::new();
    roff.control("SH", [section.heading]);
    let mut first = true;
    for block in section.blocks {
        match block {
            text::Block::Para(text) => {
                if !first {
                    roff.control("PP", []);
                }
                roff.text([roman(*text)]);
            }
            text::Block::Item(tag, text) => {
                roff.control("TP", []);
                roff.text([bold(*tag)]);
                roff.text([roman(*text)]);
            }
            text::Block::Code(text) => {
                roff.control("PP", []);
                roff.control("nf", []);
                roff.control("RS", ["4"]);
                for line in text.lines() {
                    roff.text([roman(line)]);
                }
                roff.control("RE", []);
                roff.control("fi", []);
            }
        }
        first = false;
    }
    piece(|w| roff.to_writer(w))
}

/// send_arp's command line as a clap command, for its page only: the binary keeps the
/// original's hand-parsed `argv` (spec §5), which clap cannot express exactly (six words
/// only with `-i` first).
pub fn send_arp_command() -> Command {
    Command::new("send_arp")
        .about("Send one gratuitous ARP reply")
        .disable_help_flag(true)
        .disable_version_flag(true)
        // clap_mangen's synopsis would drop the value name of a short-only option.
        .override_usage("send_arp [-i DEVICE] SRC_IP SRC_MAC TARGET_IP TARGET_MAC")
        .arg(
            Arg::new("device")
                .short('i')
                .value_name("DEVICE")
                .default_value("eth0")
                .help("Interface to send on; if given, it must be the first argument."),
        )
        .arg(Arg::new("src_ip").value_name("SRC_IP").required(true).action(ArgAction::Set).help(
            "The address announced: sender and target protocol address of the frame \
             (dotted quad in any inet_aton form, or a host name).",
        ))
        .arg(
            Arg::new("src_mac")
                .value_name("SRC_MAC")
                .required(true)
                .help("The hardware address announced, and the frame's Ethernet source: six pairs of hex digits, each optionally followed by a colon."),
        )
        .arg(
            Arg::new("target_ip")
                .value_name("TARGET_IP")
                .required(true)
                .help("Resolved (an unknown host is an error) but not used in the frame, as in the original."),
        )
        .arg(
            Arg::new("target_mac")
                .value_name("TARGET_MAC")
                .required(true)
                .help("Ethernet destination of the frame (ffffffffffff for broadcast)."),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_with_section_8_and_the_project_as_source() {
        for name in PAGES {
            let page = String::from_utf8(render(name).expect("known page")).expect("UTF-8");
            let title = page.lines().find(|l| l.starts_with(".TH")).expect("a title line");
            assert_eq!(page.matches(".ds Aq").count(), 2, "one preamble (two branches)");
            assert!(title.starts_with(&format!(".TH {name} 8 {DATE} ")), "{title}");
            assert!(title.contains("piranha-rs") && title.contains(MANUAL), "{title}");
            assert!(page.contains(".SH \"SEE ALSO\""), "{name} has no SEE ALSO");
        }
        assert!(render("fos").is_none());
    }

    #[test]
    fn lvsctl_page_documents_each_subcommand_and_its_options() {
        let page = String::from_utf8(render("lvsctl").expect("known page")).expect("UTF-8");
        for sub in ["check", "show", "apply", "syncd"] {
            assert!(page.contains(&format!(".SS {sub}\n")), "no {sub}");
        }
        assert!(page.contains("\\-\\-dry\\-run"), "apply's options are missing");
    }

    #[test]
    fn send_arp_command_matches_the_usage_text() {
        let command = send_arp_command();
        let values: Vec<_> =
            command.get_positionals().map(|a| a.get_value_names().unwrap()[0].to_string()).collect();
        assert_eq!(values, ["SRC_IP", "SRC_MAC", "TARGET_IP", "TARGET_MAC"]);
        // The original usage line names the same four values after `[-i <device>]`.
        assert!(
            send_arp::USAGE.starts_with("usage: send_arp [-i <device>] src_ip_addr src_hw_addr targ_ip_addr")
        );
    }
}
